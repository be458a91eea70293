// The audit-log viewer's filters, order and pages, and its CSV export: parsed here with a
// plain RFC 4180 reader, with formula-like cells neutralised. The enrollment log's order too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { exportAuditCsv, parseAuditFilter, queryAudit } from "@/lib/auth/auditLog";
import { parseLogFilter, queryLog } from "@/lib/log/query";
import { AppError } from "@/lib/errors";

let t: TestDb;
const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 12, m));

beforeAll(async () => {
  t = await createTestDb();
  await t.client.auditLog.createMany({
    data: [
      { time: at(0), actor: "session:ann@example.com", action: "token.create", target: "tok1", detail: "ok", remoteAddr: "192.0.2.1" },
      { time: at(1), actor: "apikey:ci", action: "POST /api/v1/groups", detail: "201", remoteAddr: "192.0.2.2" },
      { time: at(2), actor: "session:bob@example.com", action: "token.revoke", target: "tok1", detail: "403 refused: role READ_ONLY", remoteAddr: "198.51.100.7" },
      { time: at(3), actor: "session:ann@example.com", action: "adde.route.create", target: '=HYPERLINK("http://evil")', detail: "-2+3", remoteAddr: "192.0.2.1" },
      { time: at(4), actor: "session:ann@example.com", action: "ca.keep", target: "@SUM(A1)", detail: "+cmd|' /C calc'!A0", remoteAddr: null },
    ],
  });
  await t.client.enrollmentLog.createMany({
    data: [0, 1, 2, 3, 4].map((m) => ({ time: at(m), step: "enroll", outcome: "OK" as const, message: `line ${m}` })),
  });
});
afterAll(async () => t?.close());

/** RFC 4180 rows (quoted fields with "" escapes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  return rows;
}

describe("audit log", () => {
  it("filters by who (with or without the kind), action prefix, text and time", async () => {
    const actions = async (params: Record<string, string>) => (await queryAudit(parseAuditFilter(params))).entries.map((e) => e.action);
    expect(await actions({ actor: "ann@example.com" })).toEqual(["ca.keep", "adde.route.create", "token.create"]);
    expect(await actions({ actor: "session:bob@example.com" })).toEqual(["token.revoke"]);
    expect(await actions({ action: "token." })).toEqual(["token.revoke", "token.create"]);
    expect(await actions({ q: "198.51.100" })).toEqual(["token.revoke"]);
    expect(await actions({ q: "refused" })).toEqual(["token.revoke"]);
    expect(await actions({ from: "2026-01-01T12:01", to: "2026-01-01T12:02" })).toEqual(["token.revoke", "POST /api/v1/groups"]);
    expect(() => parseAuditFilter({ from: "yesterday" })).toThrow(AppError);
    expect(() => parseAuditFilter({ order: "sideways" })).toThrow(AppError);
  });

  it("pages newest first or oldest first without repeating or skipping an entry", async () => {
    for (const order of ["desc", "asc"] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof queryAudit>> = await queryAudit({ order }, { limit: 2, cursor });
        seen.push(...page.entries.map((e) => e.time.toISOString()));
        cursor = page.nextCursor;
      } while (cursor);
      const expected = [0, 1, 2, 3, 4].map((m) => at(m).toISOString());
      expect(seen).toEqual(order === "asc" ? expected : expected.reverse());
    }
  });

  it("exports CSV that a spreadsheet cannot run as formulas", async () => {
    const rows = parseCsv(await exportAuditCsv({ actor: "ann@example.com", order: "asc" }));
    expect(rows[0]).toEqual(["time", "actor", "action", "target", "detail", "remote_addr"]);
    expect(rows).toHaveLength(4);
    expect(rows[2]).toEqual([at(3).toISOString(), "session:ann@example.com", "adde.route.create", '\'=HYPERLINK("http://evil")', "'-2+3", "192.0.2.1"]);
    expect(rows[3].slice(3)).toEqual(["'@SUM(A1)", "'+cmd|' /C calc'!A0", ""]);
    for (const cell of rows.flat()) expect(cell).not.toMatch(/^[=+\-@]/);
  });
});

describe("enrollment log order", () => {
  it("reads order=asc as oldest first and pages on in that order", async () => {
    const filter = parseLogFilter({ order: "asc" });
    const first = await queryLog(filter, { limit: 3 });
    expect(first.lines.map((l) => l.message)).toEqual(["line 0", "line 1", "line 2"]);
    const next = await queryLog(filter, { limit: 3, cursor: first.nextCursor });
    expect(next.lines.map((l) => l.message)).toEqual(["line 3", "line 4"]);
    expect((await queryLog(parseLogFilter({}), { limit: 1 })).lines[0].message).toBe("line 4");
    expect(() => parseLogFilter({ order: "up" })).toThrow(AppError);
  });
});
