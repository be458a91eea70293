// Reading the audit log (who did what, when, from where): the portal's viewer and its CSV
// export share these filters, keyset-paginated on (time, id) like the enrollment log.
import { db, type Prisma } from "../db/client";
import { badRequest } from "../errors";
import { afterCursor, contains, csvCell, encodeCursor, get, parseTime, type Params } from "../log/query";

export interface AuditFilter {
  /** Exact actor ("session:ann@example.com", "apikey:ci"), or its part after the colon. */
  actor?: string;
  /** Action prefix: "token" finds token.create and token.revoke. */
  action?: string;
  /** Free text in actor, action, target, detail and address. */
  q?: string;
  from?: Date;
  to?: Date;
  /** Newest first unless "asc". */
  order?: "asc" | "desc";
}

export interface AuditEntry {
  id: string;
  time: Date;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
  remoteAddr: string | null;
}

export const AUDIT_PAGE_MAX = 500;
export const AUDIT_EXPORT_MAX = 50_000;

export function parseAuditFilter(params: Params): AuditFilter {
  const order = get(params, "order");
  if (order && order !== "asc" && order !== "desc") throw badRequest("invalid_filter", "order must be asc or desc");
  const filter: AuditFilter = {
    actor: get(params, "actor"),
    action: get(params, "action"),
    q: get(params, "q"),
    from: parseTime("from", get(params, "from")),
    to: parseTime("to", get(params, "to")),
    order: order as AuditFilter["order"],
  };
  if (filter.from && filter.to && filter.from > filter.to) throw badRequest("invalid_filter", "from must not be after to");
  return filter;
}

export function auditFilterToParams(filter: AuditFilter): URLSearchParams {
  const p = new URLSearchParams();
  if (filter.actor) p.set("actor", filter.actor);
  if (filter.action) p.set("action", filter.action);
  if (filter.q) p.set("q", filter.q);
  if (filter.from) p.set("from", filter.from.toISOString());
  if (filter.to) p.set("to", filter.to.toISOString());
  if (filter.order) p.set("order", filter.order);
  return p;
}

function auditWhere(filter: AuditFilter): Prisma.AuditLogWhereInput[] {
  const and: Prisma.AuditLogWhereInput[] = [];
  if (filter.actor) {
    // "ann@example.com" finds the session actor, "session:ann@example.com" only that one.
    and.push(filter.actor.includes(":") ? { actor: filter.actor } : { OR: [{ actor: filter.actor }, { actor: { endsWith: `:${filter.actor}` } }] });
  }
  if (filter.action) and.push({ action: { startsWith: filter.action } });
  if (filter.from) and.push({ time: { gte: filter.from } });
  if (filter.to) and.push({ time: { lte: filter.to } });
  if (filter.q) {
    const c = contains(filter.q);
    and.push({ OR: [{ actor: c }, { action: c }, { target: c }, { detail: c }, { remoteAddr: c }] });
  }
  return and;
}

export async function queryAudit(filter: AuditFilter, opts: { limit?: number; cursor?: string | null } = {}): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), AUDIT_PAGE_MAX);
  const dir = filter.order ?? "desc";
  const and = auditWhere(filter);
  if (opts.cursor) and.push(afterCursor(opts.cursor, dir));
  const rows = await db().auditLog.findMany({ where: and.length ? { AND: and } : {}, orderBy: [{ time: dir }, { id: dir }], take: limit + 1 });
  const entries = rows.slice(0, limit);
  return { entries, nextCursor: rows.length > limit ? encodeCursor(entries[entries.length - 1]) : null };
}

/** Distinct actors, for the viewer's filter list. */
export async function auditActors(): Promise<string[]> {
  const rows = await db().auditLog.groupBy({ by: ["actor"], orderBy: { actor: "asc" }, take: 500 });
  return rows.map((r) => r.actor);
}

export const AUDIT_CSV_COLUMNS = ["time", "actor", "action", "target", "detail", "remote_addr"] as const;

/** The filtered audit log as CSV (RFC 4180, CRLF); formula-like cells are neutralised by csvCell. */
export async function exportAuditCsv(filter: AuditFilter, max = AUDIT_EXPORT_MAX): Promise<string> {
  const out: string[] = [AUDIT_CSV_COLUMNS.join(",")];
  let cursor: string | null = null;
  let remaining = max;
  do {
    const page: { entries: AuditEntry[]; nextCursor: string | null } = await queryAudit(filter, { cursor, limit: Math.min(AUDIT_PAGE_MAX, remaining) });
    for (const e of page.entries) out.push([e.time.toISOString(), e.actor, e.action, e.target, e.detail, e.remoteAddr].map(csvCell).join(","));
    remaining -= page.entries.length;
    cursor = page.nextCursor;
  } while (cursor && remaining > 0);
  return `${out.join("\r\n")}\r\n`;
}
