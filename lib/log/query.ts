// Reading the enrollment log: the same filters for the portal page, the JSON API and the
// CSV export, keyset-paginated on (time, id) so deep pages stay as fast as the first.
import { db, dbKind, type Prisma } from "../db/client";
import { badRequest } from "../errors";
import { reasonInfo } from "./reasons";
import type { Outcome } from "./enrollmentLog";

export const OUTCOMES: readonly Outcome[] = ["OK", "WARNING", "ERROR"];

export interface LogFilter {
  outcomes?: Outcome[];
  step?: string;
  reason?: string;
  tokenId?: string;
  /** Device identifier (UDID or EnrollmentID), exact. */
  device?: string;
  user?: string;
  from?: Date;
  to?: Date;
  /** Free text, matched against message, reason, device, user, token, step and address. */
  q?: string;
  /** Newest first unless "asc" (oldest first). */
  order?: "asc" | "desc";
}

export interface LogLine {
  id: string;
  time: Date;
  step: string;
  outcome: Outcome;
  reason: string | null;
  message: string;
  tokenId: string | null;
  deviceIdentifier: string | null;
  userIdentifier: string | null;
  remoteAddr: string | null;
  /** Repeats folded into this line (1 for a single event); `time` is the first, `lastSeen` the last. */
  count: number;
  lastSeen: Date | null;
}

export interface LogPage {
  lines: LogLine[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export const LOG_PAGE_MAX = 500;
export const LOG_EXPORT_MAX = 50_000;
const MAX_TEXT = 200;

/** A page's searchParams or an API request's query. */
export type Params = URLSearchParams | Record<string, string | string[] | undefined>;

/** One filter value, trimmed and bounded; empty is absent. Shared by the log and audit viewers. */
export function get(params: Params, name: string): string | undefined {
  const raw = params instanceof URLSearchParams ? (params.get(name) ?? undefined) : params[name];
  const v = Array.isArray(raw) ? raw[0] : raw;
  const t = v?.trim();
  return t ? t.slice(0, MAX_TEXT) : undefined;
}

function getAll(params: Params, name: string): string[] {
  const raw = params instanceof URLSearchParams ? params.getAll(name) : params[name];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Dates from the API (ISO 8601) or the page's datetime-local inputs (read as UTC). */
export function parseTime(name: string, value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const withZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
  const d = /^\d{4}-\d{2}-\d{2}/.test(withZone) ? new Date(withZone) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw badRequest("invalid_filter", `${name} must be an ISO 8601 date/time, not "${value}"`);
  return d;
}

/** Reads filters from query parameters; unknown outcomes or bad dates are a 400, not ignored. */
export function parseLogFilter(params: Params): LogFilter {
  const outcomes = getAll(params, "outcome").map((o) => o.toUpperCase());
  for (const o of outcomes) {
    if (!(OUTCOMES as readonly string[]).includes(o)) throw badRequest("invalid_filter", `outcome must be OK, WARNING or ERROR, not "${o}"`);
  }
  const order = get(params, "order");
  if (order && order !== "asc" && order !== "desc") throw badRequest("invalid_filter", `order must be asc or desc, not "${order}"`);
  const filter: LogFilter = {
    order: order as LogFilter["order"],
    outcomes: outcomes.length ? ([...new Set(outcomes)] as Outcome[]) : undefined,
    step: get(params, "step"),
    reason: get(params, "reason"),
    tokenId: get(params, "token"),
    device: get(params, "device"),
    user: get(params, "user"),
    from: parseTime("from", get(params, "from")),
    to: parseTime("to", get(params, "to")),
    q: get(params, "q"),
  };
  if (filter.from && filter.to && filter.from > filter.to) throw badRequest("invalid_filter", "from must not be after to");
  return filter;
}

/** The filter as query parameters (links: next page, CSV export, API). */
export function logFilterToParams(filter: LogFilter): URLSearchParams {
  const p = new URLSearchParams();
  for (const o of filter.outcomes ?? []) p.append("outcome", o);
  if (filter.step) p.set("step", filter.step);
  if (filter.reason) p.set("reason", filter.reason);
  if (filter.tokenId) p.set("token", filter.tokenId);
  if (filter.device) p.set("device", filter.device);
  if (filter.user) p.set("user", filter.user);
  if (filter.from) p.set("from", filter.from.toISOString());
  if (filter.to) p.set("to", filter.to.toISOString());
  if (filter.q) p.set("q", filter.q);
  if (filter.order) p.set("order", filter.order);
  return p;
}

/** Case-insensitive substring match on either database (shared by the log and audit viewers). */
export function contains(value: string): { contains: string } {
  // PostgreSQL's LIKE is case-sensitive; SQLite's already ignores ASCII case.
  return (dbKind() === "postgres" ? { contains: value, mode: "insensitive" } : { contains: value }) as { contains: string };
}

export function logWhere(filter: LogFilter): Prisma.EnrollmentLogWhereInput {
  const and: Prisma.EnrollmentLogWhereInput[] = [];
  if (filter.outcomes?.length) and.push({ outcome: { in: filter.outcomes } });
  if (filter.step) and.push({ step: filter.step });
  if (filter.reason) and.push({ reason: filter.reason });
  if (filter.tokenId) and.push({ tokenId: filter.tokenId });
  if (filter.device) and.push({ deviceIdentifier: filter.device });
  if (filter.user) and.push({ userIdentifier: filter.user });
  if (filter.from) and.push({ time: { gte: filter.from } });
  if (filter.to) and.push({ time: { lte: filter.to } });
  if (filter.q) {
    const c = contains(filter.q);
    and.push({
      OR: [{ message: c }, { reason: c }, { step: c }, { deviceIdentifier: c }, { userIdentifier: c }, { tokenId: c }, { remoteAddr: c }],
    });
  }
  return and.length ? { AND: and } : {};
}

/** Keyset paging over (time, id): the cursor names the last row of a page. */
export function encodeCursor(line: { time: Date; id: string }): string {
  return Buffer.from(`${line.time.toISOString()}|${line.id}`).toString("base64url");
}

function decodeCursor(cursor: string): { time: Date; id: string } {
  const text = Buffer.from(cursor, "base64url").toString();
  const bar = text.indexOf("|");
  const time = new Date(text.slice(0, bar));
  if (bar < 1 || Number.isNaN(time.getTime())) throw badRequest("invalid_cursor", "cursor is not one this server issued");
  return { time, id: text.slice(bar + 1) };
}

/** The rows after a cursor in (time, id) order `dir`, as a where clause. */
export function afterCursor(cursor: string, dir: "asc" | "desc") {
  const c = decodeCursor(cursor);
  const cmp = dir === "desc" ? "lt" : "gt";
  return { OR: [{ time: { [cmp]: c.time } }, { time: c.time, id: { [cmp]: c.id } }] };
}

const SELECT = {
  id: true,
  time: true,
  step: true,
  outcome: true,
  reason: true,
  message: true,
  tokenId: true,
  deviceIdentifier: true,
  userIdentifier: true,
  remoteAddr: true,
  count: true,
  lastSeen: true,
} as const;

/** Newest first, or oldest first with order "asc". */
export async function queryLog(filter: LogFilter, opts: { limit?: number; cursor?: string | null } = {}): Promise<LogPage> {
  const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), LOG_PAGE_MAX);
  const dir = filter.order ?? "desc";
  const where = logWhere(filter);
  if (opts.cursor) {
    const after: Prisma.EnrollmentLogWhereInput = afterCursor(opts.cursor, dir);
    where.AND = [...((where.AND as Prisma.EnrollmentLogWhereInput[] | undefined) ?? []), after];
  }
  const rows = await db().enrollmentLog.findMany({ where, orderBy: [{ time: dir }, { id: dir }], take: limit + 1, select: SELECT });
  const lines = rows.slice(0, limit) as LogLine[];
  return { lines, nextCursor: rows.length > limit ? encodeCursor(lines[lines.length - 1]) : null };
}

/** The distinct steps and reasons seen, for the filter drop-downs. */
export async function logFacets(): Promise<{ steps: string[]; reasons: string[] }> {
  // groupBy runs as SQL GROUP BY (Prisma's `distinct` may de-duplicate in memory).
  const [steps, reasons] = await Promise.all([
    db().enrollmentLog.groupBy({ by: ["step"], orderBy: { step: "asc" } }),
    db().enrollmentLog.groupBy({ by: ["reason"], where: { reason: { not: null } }, orderBy: { reason: "asc" } }),
  ]);
  return { steps: steps.map((s) => s.step), reasons: reasons.map((r) => r.reason).filter((r): r is string => !!r) };
}

export const CSV_COLUMNS = ["time", "step", "outcome", "reason", "reason_title", "fix", "message", "device", "user", "token", "remote_addr", "count", "last_seen"] as const;

/**
 * One CSV cell (RFC 4180). Cells a spreadsheet would run as a formula (=, +, -, @, tab, CR)
 * get a leading apostrophe: device-supplied text must not execute in the admin's Excel.
 */
export function csvCell(value: string | null | undefined): string {
  let v = value ?? "";
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

export function logLineToCsvRow(line: LogLine): string {
  const info = reasonInfo(line.reason);
  return [
    line.time.toISOString(),
    line.step,
    line.outcome,
    line.reason,
    info?.title,
    info?.fix,
    line.message,
    line.deviceIdentifier,
    line.userIdentifier,
    line.tokenId,
    line.remoteAddr,
    String(line.count),
    (line.lastSeen ?? line.time).toISOString(),
  ]
    .map(csvCell)
    .join(",");
}

/** The filtered log as CSV (header row first, CRLF line ends), newest first, up to `max` lines. */
export async function exportLogCsv(filter: LogFilter, max = LOG_EXPORT_MAX): Promise<string> {
  const out: string[] = [CSV_COLUMNS.join(",")];
  let cursor: string | null = null;
  let remaining = max;
  do {
    const page: LogPage = await queryLog(filter, { cursor, limit: Math.min(LOG_PAGE_MAX, remaining) });
    for (const line of page.lines) out.push(logLineToCsvRow(line));
    remaining -= page.lines.length;
    cursor = page.nextCursor;
  } while (cursor && remaining > 0);
  return `${out.join("\r\n")}\r\n`;
}

/** JSON shape for the API. */
export function logLineJson(line: LogLine) {
  const info = reasonInfo(line.reason);
  return {
    id: line.id,
    time: line.time.toISOString(),
    step: line.step,
    outcome: line.outcome,
    reason: line.reason,
    reasonTitle: info?.title ?? null,
    fix: info?.fix ?? null,
    message: line.message,
    device: line.deviceIdentifier,
    user: line.userIdentifier,
    token: line.tokenId,
    remoteAddr: line.remoteAddr,
    count: line.count,
    firstSeen: line.time.toISOString(),
    lastSeen: (line.lastSeen ?? line.time).toISOString(),
  };
}

/** Names of the tokens a page of lines mentions (id → name), for display next to the id. */
export async function tokenNamesFor(lines: Pick<LogLine, "tokenId">[]): Promise<Map<string, string>> {
  const ids = [...new Set(lines.map((l) => l.tokenId).filter((t): t is string => !!t))];
  if (ids.length === 0) return new Map();
  const rows = await db().enrollmentToken.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } });
  return new Map(rows.map((r) => [r.id, r.name]));
}
