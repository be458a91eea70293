// The log API's one call: parse the query, answer a JSON page or the CSV export.
import { badRequest } from "../errors";
import { exportLogCsv, LOG_PAGE_MAX, logLineJson, parseLogFilter, queryLog } from "./query";

export type LogApiResult = { kind: "csv"; body: string; filename: string } | { kind: "json"; body: { lines: ReturnType<typeof logLineJson>[]; nextCursor: string | null } };

/** CSV when asked for by ?format=csv or an Accept header that prefers text/csv over JSON. */
export function wantsCsv(params: URLSearchParams, accept: string | null): boolean {
  const format = params.get("format")?.toLowerCase();
  if (format) return format === "csv";
  const a = (accept ?? "").toLowerCase();
  return a.includes("text/csv") && (!a.includes("application/json") || a.indexOf("text/csv") < a.indexOf("application/json"));
}

export async function readLogRequest(params: URLSearchParams, accept: string | null, now = new Date()): Promise<LogApiResult> {
  const filter = parseLogFilter(params);
  if (wantsCsv(params, accept)) {
    return { kind: "csv", body: await exportLogCsv(filter), filename: `enrollment-log-${now.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}.csv` };
  }
  const limitRaw = params.get("limit");
  const limit = limitRaw === null ? 100 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > LOG_PAGE_MAX) throw badRequest("invalid_filter", `limit must be 1 to ${LOG_PAGE_MAX}`);
  const page = await queryLog(filter, { cursor: params.get("cursor"), limit });
  return { kind: "json", body: { lines: page.lines.map(logLineJson), nextCursor: page.nextCursor } };
}
