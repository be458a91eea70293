// The enrollment log under a flood: unauthenticated check-ins through the real route handler
// (the same code path the server runs) add one line per (reason, source, target, window)
// with a count, at most LOG_MAX_KEYS_PER_ADDRESS lines per address and LOG_MAX_KEYS_PER_WINDOW per
// window; counts survive two writers ("workers") on one database and a normal shutdown;
// retention prunes old failures only.
// The documented default (test/helpers/setupEnv.ts lifts it for the other suites); read lazily by config().
process.env.LOG_MAX_KEYS_PER_ADDRESS = "25";

import crypto from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { PUT as checkin } from "@/app/mdm/checkin/route";
import { buildPlist } from "@/lib/plist/plist";
import { config } from "@/lib/config";
import { flushEnrollmentLog, writeEnrollmentLog } from "@/lib/log/enrollmentLog";
import { pruneEnrollmentLog } from "@/lib/log/retention";
import { dashboardStats } from "@/lib/inventory/stats";
import { runShutdownHooks } from "@/lib/cluster/shutdown";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.close());
afterEach(() => vi.restoreAllMocks());

/** Pins the clock mid-window so a test never straddles two aggregation windows. */
function pinClock(): number {
  const size = config().logAggregateWindowMs;
  const now = Math.floor(Date.now() / size) * size + size / 2;
  vi.spyOn(Date, "now").mockReturnValue(now);
  return now;
}

const TEMPLATE = buildPlist({
  MessageType: "Authenticate",
  UDID: "@UDID@",
  Topic: "com.apple.mgmt.External.flood",
  BuildVersion: "22A3354",
  OSVersion: "18.0",
  ProductName: "iPhone16,1",
  SerialNumber: "FLOOD0000001",
});

function authenticateBody(udid: string): string {
  return TEMPLATE.replace("@UDID@", udid);
}

/** An unsigned check-in (no Mdm-Signature, no client certificate) from `addr`. */
function unsigned(addr: string, body: string): Request {
  return new Request("https://mdm.example.test/mdm/checkin", { method: "PUT", body, headers: { "content-type": "application/x-apple-aspen-mdm-checkin", "x-enroll-peer": addr } });
}

async function flood(total: number, addresses: string[], body: (i: number) => string): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  const batch = 500;
  for (let i = 0; i < total; i += batch) {
    const answers = await Promise.all(Array.from({ length: Math.min(batch, total - i) }, (_, j) => checkin(unsigned(addresses[(i + j) % addresses.length], body(i + j)))));
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  }
  return statuses;
}

const SALT = crypto.randomUUID().toUpperCase().slice(9);
const addresses = (prefix: string) => Array.from({ length: 10 }, (_, i) => `${prefix}.${i + 1}`);

async function linesFrom(prefix: string) {
  return t.client.enrollmentLog.findMany({ where: { remoteAddr: { startsWith: `${prefix}.` } } });
}

describe("a flood of unauthenticated check-ins", () => {
  it("100,000 from 10 addresses, each claiming a new UDID: at most 25 lines per address plus one overflow line, no count lost", async () => {
    pinClock();
    const PER_SOURCE_MAX = config().logMaxKeysPerAddress;
    expect(PER_SOURCE_MAX).toBe(25);
    const before = await t.client.enrollmentLog.count();
    const statuses = await flood(100_000, addresses("198.51.100"), (i) => authenticateBody(`${i.toString(16).padStart(8, "0")}-${SALT}`));
    expect(statuses).toEqual(new Map([[401, 100_000]]));
    await flushEnrollmentLog();
    const added = (await t.client.enrollmentLog.count()) - before;
    expect(added).toBeLessThanOrEqual(10 * PER_SOURCE_MAX + 1);
    const lines = await linesFrom("198.51.100");
    for (const a of addresses("198.51.100")) expect(lines.filter((l) => l.remoteAddr === a)).toHaveLength(PER_SOURCE_MAX);
    expect(lines.every((l) => l.outcome === "ERROR" && l.reason === "checkin_unauthenticated")).toBe(true);
    const overflow = await t.client.enrollmentLog.findMany({ where: { reason: "log_flood_overflow" } });
    expect(overflow).toHaveLength(1);
    // Every refusal is counted on some line: the admin sees the flood's true size.
    const counted = lines.reduce((n, l) => n + l.count, 0) + overflow[0].count;
    expect(counted).toBe(100_000);
  }, 300_000);

  it("20,000 identical ones from 10 addresses are 10 lines, each ×2,000 with first and last seen", async () => {
    const now = pinClock();
    const statuses = await flood(20_000, addresses("203.0.113"), (i) => authenticateBody(`FLOOD-DEVICE-${i % 10}`));
    expect(statuses).toEqual(new Map([[401, 20_000]]));
    await flushEnrollmentLog();
    const lines = await linesFrom("203.0.113");
    expect(lines).toHaveLength(10);
    for (const l of lines) {
      expect(l.count).toBe(2_000);
      expect(l.time.getTime()).toBe(now);
      expect(l.lastSeen?.getTime()).toBe(now);
    }
    // The dashboard's error figure counts refusals, not lines.
    expect((await dashboardStats()).errorsLast24h).toBeGreaterThanOrEqual(20_000);
  }, 120_000);
});

describe("aggregation", () => {
  it("two workers (two module instances) on one database count into the same line without loss", async () => {
    pinClock();
    vi.resetModules();
    const a = await import("@/lib/log/enrollmentLog");
    vi.resetModules();
    const b = await import("@/lib/log/enrollmentLog");
    expect(a.writeEnrollmentLog).not.toBe(b.writeEnrollmentLog);
    const entry = { step: "scep", outcome: "ERROR" as const, reason: "scep_bad_challenge" as const, message: "challenge mismatch", remoteAddr: "192.0.2.77", tokenId: "tok-two-workers" };
    // Both see the failure first at the same moment, then repeats on both.
    await Promise.all([a.writeEnrollmentLog(entry), b.writeEnrollmentLog(entry)]);
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => (i % 2 ? a : b).writeEnrollmentLog(entry)));
    await Promise.all([a.flushEnrollmentLog(), b.flushEnrollmentLog()]);
    const lines = await t.client.enrollmentLog.findMany({ where: { tokenId: "tok-two-workers" } });
    expect(lines).toHaveLength(1);
    expect(lines[0].count).toBe(1_002);
  });

  it("the first failure is in the database when the write returns; repeats reach it at shutdown", async () => {
    pinClock();
    const entry = { step: "profile", outcome: "ERROR" as const, reason: "token_expired" as const, message: "token expired", remoteAddr: "192.0.2.78", tokenId: "tok-shutdown" };
    await writeEnrollmentLog(entry);
    expect(await t.client.enrollmentLog.findFirst({ where: { tokenId: "tok-shutdown" } })).toMatchObject({ count: 1 });
    for (let i = 0; i < 41; i++) await writeEnrollmentLog(entry);
    await runShutdownHooks();
    expect(await t.client.enrollmentLog.findFirst({ where: { tokenId: "tok-shutdown" } })).toMatchObject({ count: 42 });
  });

  it("different targets, reasons or sources are separate lines; successes are never folded", async () => {
    pinClock();
    const base = { step: "checkin", outcome: "ERROR" as const, reason: "checkin_cert_mismatch" as const, message: "x", remoteAddr: "192.0.2.79" };
    await writeEnrollmentLog({ ...base, deviceIdentifier: "SEP-1" });
    await writeEnrollmentLog({ ...base, deviceIdentifier: "SEP-2" });
    await writeEnrollmentLog({ ...base, deviceIdentifier: "SEP-1", reason: "checkin_unauthenticated" });
    await writeEnrollmentLog({ ...base, deviceIdentifier: "SEP-1", remoteAddr: "192.0.2.80" });
    await writeEnrollmentLog({ ...base, deviceIdentifier: "SEP-1" });
    await writeEnrollmentLog({ step: "checkin", outcome: "OK", message: "Authenticate", deviceIdentifier: "SEP-1", remoteAddr: "192.0.2.79" });
    await writeEnrollmentLog({ step: "checkin", outcome: "OK", message: "Authenticate", deviceIdentifier: "SEP-1", remoteAddr: "192.0.2.79" });
    await flushEnrollmentLog();
    const lines = await t.client.enrollmentLog.findMany({ where: { deviceIdentifier: { in: ["SEP-1", "SEP-2"] } } });
    expect(
      lines
        .filter((l) => l.outcome === "ERROR")
        .map((l) => l.count)
        .sort(),
    ).toEqual([1, 1, 1, 2]);
    expect(lines.filter((l) => l.outcome === "OK").map((l) => l.count)).toEqual([1, 1]);
  });

  it("a window keeps at most LOG_MAX_KEYS_PER_WINDOW distinct lines; the rest are counted on the overflow line", async () => {
    const size = config().logAggregateWindowMs;
    // A window of its own, so the earlier tests' lines do not count against the cap.
    const window = Math.floor(Date.now() / size) * size - 7 * size;
    vi.spyOn(Date, "now").mockReturnValue(window + 1_000);
    const max = config().logMaxKeysPerWindow;
    for (let i = 0; i < max + 50; i++) await writeEnrollmentLog({ step: "scep", outcome: "ERROR", reason: "scep_bad_challenge", message: "scan", remoteAddr: `10.${(i >> 8) & 255}.${i & 255}.9` });
    await flushEnrollmentLog();
    const inWindow = await t.client.enrollmentLog.count({ where: { aggregateWindow: new Date(window) } });
    expect(inWindow).toBe(max);
    const overflow = await t.client.enrollmentLog.findUniqueOrThrow({ where: { aggregateKey: `${window}:overflow` } });
    expect(overflow.count).toBe(50);
    expect(overflow.reason).toBe("log_flood_overflow");
  });
});

describe("retention", () => {
  it("deletes failure and warning lines older than LOG_RETENTION, keeps successes and recent failures", async () => {
    const now = new Date("2027-06-01T00:00:00Z");
    const old = new Date(now.getTime() - 91 * 86_400_000);
    const recent = new Date(now.getTime() - 89 * 86_400_000);
    await t.client.enrollmentLog.createMany({
      data: [
        { time: old, step: "retention", outcome: "ERROR", message: "old error" },
        { time: old, step: "retention", outcome: "WARNING", message: "old warning" },
        { time: old, step: "retention", outcome: "OK", message: "old success" },
        { time: recent, step: "retention", outcome: "ERROR", message: "recent error" },
      ],
    });
    expect(config().logRetentionMs).toBe(90 * 86_400_000);
    expect(await pruneEnrollmentLog(now)).toBeGreaterThanOrEqual(2);
    const left = await t.client.enrollmentLog.findMany({ where: { step: "retention" }, orderBy: { message: "asc" } });
    expect(left.map((l) => l.message)).toEqual(["old success", "recent error"]);
  });
});
