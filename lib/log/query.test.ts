import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { AppError } from "@/lib/errors";
import { csvCell, exportLogCsv, logFacets, logFilterToParams, parseLogFilter, queryLog, tokenNamesFor } from "./query";

let t: TestDb;
const T0 = Date.parse("2026-03-01T10:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

beforeAll(async () => {
  t = await createTestDb();
  const lines = [
    { time: at(0), step: "enroll-page", outcome: "OK", message: "token verified", tokenId: "tokA", remoteAddr: "10.0.0.1" },
    { time: at(1), step: "profile", outcome: "ERROR", reason: "token_expired", message: "token expired at 09:00", tokenId: "tokB", remoteAddr: "10.0.0.2" },
    { time: at(2), step: "scep", outcome: "ERROR", reason: "scep_bad_challenge", message: "challenge mismatch", deviceIdentifier: "UDID-1", tokenId: "tokA" },
    { time: at(3), step: "checkin", outcome: "OK", message: "Authenticate from iPhone", deviceIdentifier: "UDID-1", tokenId: "tokA" },
    { time: at(4), step: "checkin", outcome: "WARNING", message: "TokenUpdate without push magic", deviceIdentifier: "UDID-2", userIdentifier: "ann@example.com" },
    { time: at(5), step: "checkin", outcome: "ERROR", reason: "checkin_malformed", message: '=HYPERLINK("http://evil","x"), "quoted"\nsecond line', deviceIdentifier: "=cmd|' /C calc'!A0" },
  ] as const;
  for (const l of lines) await t.client.enrollmentLog.create({ data: { ...l } });
  // Two lines in the same millisecond: the cursor must split them without loss or repeat.
  await t.client.enrollmentLog.create({ data: { id: "same-a", time: at(6), step: "checkin", outcome: "OK", message: "tie a" } });
  await t.client.enrollmentLog.create({ data: { id: "same-b", time: at(6), step: "checkin", outcome: "OK", message: "tie b" } });
});
afterAll(async () => t?.close());

const messages = async (params: Record<string, string>) => (await queryLog(parseLogFilter(new URLSearchParams(params)))).lines.map((l) => l.message);

describe("log filters", () => {
  it("returns newest first without filters", async () => {
    const page = await queryLog({});
    expect(page.lines).toHaveLength(8);
    expect(page.lines[0].time.getTime()).toBe(at(6).getTime());
    expect(page.lines.at(-1)!.message).toBe("token verified");
    expect(page.nextCursor).toBeNull();
  });

  it("filters by outcome (one or several, case-insensitive)", async () => {
    expect(await messages({ outcome: "error" })).toEqual(['=HYPERLINK("http://evil","x"), "quoted"\nsecond line', "challenge mismatch", "token expired at 09:00"]);
    const both = await queryLog(parseLogFilter(new URLSearchParams("outcome=WARNING&outcome=ERROR")));
    expect(both.lines.map((l) => l.outcome).sort()).toEqual(["ERROR", "ERROR", "ERROR", "WARNING"]);
  });

  it("filters by step, token, device, user and reason", async () => {
    expect(await messages({ step: "scep" })).toEqual(["challenge mismatch"]);
    expect(await messages({ token: "tokA" })).toEqual(["Authenticate from iPhone", "challenge mismatch", "token verified"]);
    expect(await messages({ device: "UDID-1" })).toEqual(["Authenticate from iPhone", "challenge mismatch"]);
    expect(await messages({ user: "ann@example.com" })).toEqual(["TokenUpdate without push magic"]);
    expect(await messages({ reason: "token_expired" })).toEqual(["token expired at 09:00"]);
    expect(await messages({ step: "checkin", outcome: "OK", device: "UDID-1" })).toEqual(["Authenticate from iPhone"]);
  });

  it("filters by time range, inclusive, from ISO or datetime-local (UTC)", async () => {
    expect(await messages({ from: at(1).toISOString(), to: at(2).toISOString() })).toEqual(["challenge mismatch", "token expired at 09:00"]);
    expect(await messages({ from: "2026-03-01T10:04", to: "2026-03-01T10:04" })).toEqual(["TokenUpdate without push magic"]);
  });

  it("searches free text across message, reason, device and address, ignoring case", async () => {
    expect(await messages({ q: "PUSH MAGIC" })).toEqual(["TokenUpdate without push magic"]);
    expect(await messages({ q: "bad_challenge" })).toEqual(["challenge mismatch"]);
    expect(await messages({ q: "10.0.0.2" })).toEqual(["token expired at 09:00"]);
    expect(await messages({ q: "udid-2" })).toEqual(["TokenUpdate without push magic"]);
    expect(await messages({ q: "nothing like this" })).toEqual([]);
  });

  it("rejects bad filter values with a 400 instead of ignoring them", () => {
    const bad = (q: string) => {
      try {
        parseLogFilter(new URLSearchParams(q));
      } catch (e) {
        return e instanceof AppError ? `${e.status} ${e.code}` : "other";
      }
      return "accepted";
    };
    expect(bad("outcome=FAILED")).toBe("400 invalid_filter");
    expect(bad("from=yesterday")).toBe("400 invalid_filter");
    expect(bad("from=2026-03-02T00:00Z&to=2026-03-01T00:00Z")).toBe("400 invalid_filter");
    expect(bad("outcome=OK&from=2026-03-01")).toBe("accepted");
  });

  it("pages with a cursor without losing or repeating lines, even on equal timestamps", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof queryLog>> = await queryLog({}, { limit: 1, cursor });
      seen.push(...page.lines.map((l) => l.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(8);
    expect(new Set(seen).size).toBe(8);
    expect(seen.slice(0, 2).sort()).toEqual(["same-a", "same-b"]);
    await expect(queryLog({}, { cursor: "bm90LWEtY3Vyc29y" })).rejects.toMatchObject({ status: 400, code: "invalid_cursor" });
  });

  it("round-trips filters through query parameters", () => {
    const f = parseLogFilter(new URLSearchParams("outcome=ERROR&step=scep&token=tokA&device=UDID-1&from=2026-03-01T10:00:00.000Z&q=x"));
    expect(parseLogFilter(logFilterToParams(f))).toEqual(f);
  });

  it("names the tokens a page mentions, skipping deleted ones", async () => {
    await t.client.enrollmentToken.create({ data: { id: "tokA", name: "Engineering BYOD" } });
    const names = await tokenNamesFor((await queryLog({})).lines);
    expect([...names]).toEqual([["tokA", "Engineering BYOD"]]);
    expect((await tokenNamesFor([])).size).toBe(0);
  });

  it("lists the steps and reasons seen", async () => {
    expect(await logFacets()).toEqual({ steps: ["checkin", "enroll-page", "profile", "scep"], reasons: ["checkin_malformed", "scep_bad_challenge", "token_expired"] });
  });
});

describe("CSV export", () => {
  it("quotes per RFC 4180 and defuses spreadsheet formulas", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('say "hi", ok')).toBe('"say ""hi"", ok"');
    expect(csvCell("=1+1")).toBe("'=1+1");
    expect(csvCell("-2")).toBe("'-2");
    expect(csvCell(null)).toBe("");
  });

  it("exports the filtered lines with header, reason title and fix", async () => {
    const csv = await exportLogCsv(parseLogFilter(new URLSearchParams("outcome=ERROR")));
    const rows = csv.split("\r\n");
    expect(rows[0]).toBe("time,step,outcome,reason,reason_title,fix,message,device,user,token,remote_addr,count,last_seen");
    expect(csv.endsWith("\r\n")).toBe(true);
    // The malformed line's message has a newline inside quotes, so split on CRLF keeps it whole.
    expect(rows).toHaveLength(1 + 3 + 1);
    expect(rows[1]).toBe(
      `${`2026-03-01T10:05:00.000Z,checkin,ERROR,checkin_malformed,Malformed check-in message,Check proxies that may alter bodies.`.replace(
        "Check proxies",
        "The device sent a body that is not a valid property list. Check proxies",
      )},"'=HYPERLINK(""http://evil"",""x""), ""quoted""\nsecond line",'=cmd|' /C calc'!A0,,,,1,2026-03-01T10:05:00.000Z`,
    );
    expect(rows[3]).toBe(
      "2026-03-01T10:01:00.000Z,profile,ERROR,token_expired,Enrollment token expired,Generate a new token (Enrollment > OTA > Tokens) and send the new link.,token expired at 09:00,,,tokB,10.0.0.2,1,2026-03-01T10:01:00.000Z",
    );
  });

  it("stops at the export limit", async () => {
    const csv = await exportLogCsv({}, 3);
    expect(csv.trimEnd().split("\r\n")).toHaveLength(4);
  });
});
