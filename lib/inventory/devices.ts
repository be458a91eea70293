// The devices table: filter, search, sort and keyset pagination. Every sort key ends in
// the primary key, so a page is "rows after this (value, id)" and page 1000 costs what
// page 1 costs, even at 100k devices.
import { db, dbKind, type Prisma } from "../db/client";
import { badRequest } from "../errors";

export const DEVICE_STATUSES = ["PENDING", "ENROLLED", "MANAGED", "UNENROLLED"] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];
export const ENROLLMENT_TYPES = ["OTA", "USER_ENROLLMENT", "DEVICE_ENROLLMENT"] as const;
export type EnrollmentType = (typeof ENROLLMENT_TYPES)[number];

export const STATUS_LABEL: Record<DeviceStatus, string> = { PENDING: "Pending", ENROLLED: "Enrolled", MANAGED: "Managed", UNENROLLED: "Unenrolled" };
export const ENROLLMENT_TYPE_LABEL: Record<EnrollmentType, string> = { OTA: "OTA", USER_ENROLLMENT: "User Enrollment", DEVICE_ENROLLMENT: "Device Enrollment" };

/** Sortable columns. Nullable ones sort their empty values last in both directions. */
export const DEVICE_SORTS = {
  lastSeen: { field: "lastSeenAt", kind: "date" },
  enrolled: { field: "enrolledAt", kind: "date" },
  name: { field: "deviceName", kind: "string" },
  serial: { field: "serialNumber", kind: "string" },
  os: { field: "osVersion", kind: "string" },
  platform: { field: "platform", kind: "string" },
  status: { field: "status", kind: "enum" },
  type: { field: "enrollmentType", kind: "enum" },
  group: { field: "group", kind: "group" },
} as const;
export type DeviceSort = keyof typeof DEVICE_SORTS;
type SortField = (typeof DEVICE_SORTS)[DeviceSort]["field"];
type SortKind = (typeof DEVICE_SORTS)[DeviceSort]["kind"];

/** Enum values in the database's own sort order: PostgreSQL sorts enums by declaration, SQLite stores text. */
function enumOrder(field: SortField): string[] {
  const values: readonly string[] = field === "status" ? DEVICE_STATUSES : ENROLLMENT_TYPES;
  return dbKind() === "postgres" ? [...values] : [...values].sort();
}

export interface DeviceQuery {
  status?: DeviceStatus;
  /** A group id, or "none" for devices without a group. */
  groupId?: string;
  platform?: string;
  enrollmentType?: EnrollmentType;
  /** Prefix of UDID / serial / EnrollmentID, or text in the device name or model. */
  q?: string;
  sort?: DeviceSort;
  dir?: "asc" | "desc";
  cursor?: string | null;
  limit?: number;
}

export interface DeviceRow {
  id: string;
  identifier: string;
  udid: string | null;
  serialNumber: string | null;
  deviceName: string | null;
  model: string | null;
  modelName: string | null;
  productName: string | null;
  osVersion: string | null;
  platform: string | null;
  enrollmentType: EnrollmentType;
  status: DeviceStatus;
  lastSeenAt: Date | null;
  enrolledAt: Date | null;
  group: { id: string; name: string } | null;
}

export interface DevicePage {
  rows: DeviceRow[];
  total: number;
  nextCursor: string | null;
}

export const DEVICE_PAGE_MAX = 200;

type Params = URLSearchParams | Record<string, string | string[] | undefined>;
function get(params: Params, name: string): string | undefined {
  const raw = params instanceof URLSearchParams ? (params.get(name) ?? undefined) : params[name];
  const v = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return v ? v.slice(0, 200) : undefined;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const v = value.toUpperCase();
  if (!(allowed as readonly string[]).includes(v)) throw badRequest("invalid_filter", `${name} must be one of ${allowed.join(", ")}, not "${value}"`);
  return v as T;
}

/** Reads the table's state from query parameters; bad values are a 400. */
export function parseDeviceQuery(params: Params): DeviceQuery {
  const sort = get(params, "sort");
  if (sort && !(sort in DEVICE_SORTS)) throw badRequest("invalid_filter", `sort must be one of ${Object.keys(DEVICE_SORTS).join(", ")}`);
  const dir = get(params, "dir");
  if (dir && dir !== "asc" && dir !== "desc") throw badRequest("invalid_filter", "dir must be asc or desc");
  const limitRaw = get(params, "limit");
  const limit = limitRaw === undefined ? undefined : Number(limitRaw);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > DEVICE_PAGE_MAX)) throw badRequest("invalid_filter", `limit must be 1 to ${DEVICE_PAGE_MAX}`);
  return {
    status: oneOf("status", get(params, "status"), DEVICE_STATUSES),
    groupId: get(params, "group"),
    platform: get(params, "platform"),
    enrollmentType: oneOf("type", get(params, "type"), ENROLLMENT_TYPES),
    q: get(params, "q"),
    sort: sort as DeviceSort | undefined,
    dir: dir as "asc" | "desc" | undefined,
    cursor: get(params, "cursor") ?? null,
    limit,
  };
}

/** The query as URL parameters (without the cursor unless given). */
export function deviceQueryToParams(q: DeviceQuery, extra: Record<string, string | undefined> = {}): URLSearchParams {
  const p = new URLSearchParams();
  if (q.status) p.set("status", q.status);
  if (q.groupId) p.set("group", q.groupId);
  if (q.platform) p.set("platform", q.platform);
  if (q.enrollmentType) p.set("type", q.enrollmentType);
  if (q.q) p.set("q", q.q);
  if (q.sort) p.set("sort", q.sort);
  if (q.dir) p.set("dir", q.dir);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) p.set(k, v);
  return p;
}

function insensitive<T extends object>(filter: T): T {
  return (dbKind() === "postgres" ? { ...filter, mode: "insensitive" } : filter) as T;
}

export function deviceWhere(q: DeviceQuery): Prisma.DeviceWhereInput {
  const and: Prisma.DeviceWhereInput[] = [];
  if (q.status) and.push({ status: q.status });
  if (q.groupId === "none") and.push({ groupId: null });
  else if (q.groupId) and.push({ groupId: q.groupId });
  if (q.platform) and.push({ platform: q.platform });
  if (q.enrollmentType) and.push({ enrollmentType: q.enrollmentType });
  if (q.q) {
    const text = q.q;
    and.push({
      OR: [
        // Identifiers are typed or pasted whole: prefix matches can use their indexes.
        { identifier: insensitive({ startsWith: text }) },
        { serialNumber: insensitive({ startsWith: text }) },
        { udid: insensitive({ startsWith: text }) },
        { deviceName: insensitive({ contains: text }) },
        { modelName: insensitive({ contains: text }) },
        { productName: insensitive({ contains: text }) },
      ],
    });
  }
  return and.length ? { AND: and } : {};
}

type CursorValue = string | null;
function encodeCursor(value: CursorValue, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString("base64url");
}
function decodeCursor(cursor: string): { value: CursorValue; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString());
    if (Array.isArray(parsed) && parsed.length === 2 && (parsed[0] === null || typeof parsed[0] === "string") && typeof parsed[1] === "string") {
      return { value: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw badRequest("invalid_cursor", "cursor is not one this server issued");
}

/**
 * Rows strictly after (value, id) in the order "field dir, id dir" among rows whose field is
 * set. Written as a range on the field (col <= v, minus the tie rows up to the cursor's id)
 * so the database walks the field's index instead of evaluating an OR over every row.
 */
function afterCursor(field: SortField, kind: SortKind, dir: "asc" | "desc", value: string, id: string): Prisma.DeviceWhereInput {
  const idNotAfter = { id: { [dir === "asc" ? "lte" : "gte"]: id } } as Prisma.DeviceWhereInput;
  const bad = () => badRequest("invalid_cursor", "cursor is not one this server issued");
  if (kind === "enum") {
    // No lt/gt on enums: the range is the set of values from the cursor's on.
    const order = enumOrder(field);
    const at = order.indexOf(value);
    if (at < 0) throw bad();
    const range = dir === "asc" ? order.slice(at) : order.slice(0, at + 1);
    return { AND: [{ [field]: { in: range } } as Prisma.DeviceWhereInput, { NOT: { AND: [{ [field]: value } as Prisma.DeviceWhereInput, idNotAfter] } }] };
  }
  if (kind === "group") {
    // Group names are unique, so (name, id) is a total order like any column's.
    const cmp = dir === "asc" ? "gte" : "lte";
    return { AND: [{ group: { is: { name: { [cmp]: value } } } }, { NOT: { AND: [{ group: { is: { name: value } } }, idNotAfter] } }] };
  }
  const v = kind === "date" ? new Date(value) : value;
  if (v instanceof Date && Number.isNaN(v.getTime())) throw bad();
  return {
    AND: [{ [field]: { [dir === "asc" ? "gte" : "lte"]: v } } as Prisma.DeviceWhereInput, { NOT: { AND: [{ [field]: v } as Prisma.DeviceWhereInput, idNotAfter] } }],
  };
}

export const DEVICE_ROW_SELECT = {
  id: true,
  identifier: true,
  udid: true,
  serialNumber: true,
  deviceName: true,
  model: true,
  modelName: true,
  productName: true,
  osVersion: true,
  platform: true,
  enrollmentType: true,
  status: true,
  lastSeenAt: true,
  enrolledAt: true,
  group: { select: { id: true, name: true } },
} as const;

export async function listDevices(q: DeviceQuery = {}): Promise<DevicePage> {
  const sortKey: DeviceSort = q.sort ?? "lastSeen";
  const { field, kind } = DEVICE_SORTS[sortKey];
  const dir = q.dir ?? (kind === "date" ? "desc" : "asc");
  const limit = Math.min(Math.max(q.limit ?? 50, 1), DEVICE_PAGE_MAX);
  const base = deviceWhere(q);
  const cursor = q.cursor ? decodeCursor(q.cursor) : null;
  const orderBy = [kind === "group" ? { group: { name: dir } } : { [field]: dir }, { id: dir }] as Prisma.DeviceOrderByWithRelationInput[];
  const find = (where: Prisma.DeviceWhereInput, take: number) => db().device.findMany({ where, orderBy, take, select: DEVICE_ROW_SELECT });
  const totalPromise = db().device.count({ where: base });

  // Empty values sort last in both directions: first the rows that have a value, then
  // (when the page is not full) the rows without one, ordered by id.
  const nullable = kind !== "enum";
  const column = (kind === "group" ? "groupId" : field) as string;
  let rows: DeviceRow[] = [];
  if (!cursor || cursor.value !== null) {
    const valued: Prisma.DeviceWhereInput[] = [base];
    if (nullable) valued.push({ [column]: { not: null } } as Prisma.DeviceWhereInput);
    if (cursor?.value != null) valued.push(afterCursor(field, kind, dir, cursor.value, cursor.id));
    rows = (await find({ AND: valued }, limit + 1)) as DeviceRow[];
  }
  if (nullable && rows.length <= limit) {
    const empty: Prisma.DeviceWhereInput[] = [base, { [column]: null } as Prisma.DeviceWhereInput];
    if (cursor && cursor.value === null) empty.push({ id: { [dir === "asc" ? "gt" : "lt"]: cursor.id } } as Prisma.DeviceWhereInput);
    rows = rows.concat((await find({ AND: empty }, limit + 1 - rows.length)) as DeviceRow[]);
  }
  const total = await totalPromise;
  const page = rows.slice(0, limit);
  let nextCursor: string | null = null;
  if (rows.length > limit) {
    const last = page[page.length - 1];
    const raw = kind === "group" ? (last.group?.name ?? null) : (last[field as keyof DeviceRow] as Date | string | null);
    nextCursor = encodeCursor(raw instanceof Date ? raw.toISOString() : raw, last.id);
  }
  return { rows: page, total, nextCursor };
}

/** Values for the filter drop-downs. */
export async function deviceFacets(): Promise<{ platforms: string[]; groups: { id: string; name: string }[] }> {
  const [platforms, groups] = await Promise.all([
    db().device.groupBy({ by: ["platform"], where: { platform: { not: null } }, orderBy: { platform: "asc" } }),
    db().deviceGroup.findMany({ select: { id: true, name: true }, orderBy: { name: "asc" } }),
  ]);
  return { platforms: platforms.map((p) => p.platform).filter((p): p is string => !!p), groups };
}

/** JSON shape for the API. */
export function deviceRowJson(d: DeviceRow) {
  return {
    id: d.id,
    identifier: d.identifier,
    udid: d.udid,
    serialNumber: d.serialNumber,
    name: d.deviceName,
    model: d.model,
    modelName: d.modelName ?? d.productName,
    osVersion: d.osVersion,
    platform: d.platform,
    enrollmentType: d.enrollmentType,
    status: d.status,
    group: d.group,
    lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
    enrolledAt: d.enrolledAt?.toISOString() ?? null,
  };
}
