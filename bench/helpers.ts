// Set-up shared by bench/*.bench.ts: the environment the server's modules read, the
// database (throwaway like the tests', or an existing one), and the timing loop.
// Only node: imports at the top: the benches set the environment before loading lib/.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestDb } from "../test/helpers/db";
import { percentile } from "./report";

export { percentile };

/**
 * A temporary DATA_DIR plus the settings a bench runs with (values from the caller's
 * environment win). Call before the first config(): it caches.
 */
export function benchEnv(name: string): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `enroll-bench-${name}-`));
  process.env.DATA_DIR ??= dir;
  process.env.MDM_SECRET ??= "bench-master-secret-0123456789abcdef";
  process.env.PUBLIC_URL ??= "https://mdm.example.test";
  process.env.LOG_LEVEL ??= "error";
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export type BenchDb = Pick<TestDb, "url" | "kind" | "client" | "close">;

/**
 * A migrated database installed as db(): a fresh one of the given kind (test/helpers/db.ts
 * createTestDb, dropped on close), or BENCH_DATABASE_URL as it is when that is set and no
 * kind is asked for (close only disconnects: the data is the caller's).
 */
export async function openBenchDb(name: string, kind?: TestDb["kind"]): Promise<BenchDb> {
  const existing = process.env.BENCH_DATABASE_URL;
  if (existing && !kind) {
    const { createClient, setDb } = await import("../lib/db/client");
    const { migrate, migrationsDir } = await import("../lib/db/migrate");
    const k = existing.startsWith("postgres") ? "postgres" : "sqlite";
    await migrate(existing, migrationsDir(k));
    const client = createClient(existing);
    setDb(existing, client);
    return { url: existing, kind: k, client, close: () => client.$disconnect() };
  }
  const { createTestDb } = await import("../test/helpers/db");
  return createTestDb(kind ?? "sqlite", { prefix: `enroll_bench_${name}` });
}

/** The UDID of seeded device i (bench seeds are 00008120-<16 hex digits>). */
export const seededUdid = (i: number) => `00008120-${i.toString(16).padStart(16, "0").toUpperCase()}`;

/**
 * Adds devices from..to-1 (each with `history` finished commands, so the next-command
 * query runs against a realistic table) with one INSERT … SELECT per table over a generated
 * series: 100k devices take seconds, not minutes. Ends with ANALYZE.
 */
export async function seedDevices(client: BenchDb["client"], kind: BenchDb["kind"], from: number, to: number, history = 2): Promise<void> {
  if (to <= from) return;
  if (kind === "postgres") {
    await client.$executeRawUnsafe(`
      INSERT INTO "Device" ("id","identifier","udid","serialNumber","status","enrollmentType","platform","pushToken","pushMagic","topic","enrolledAt","createdAt","updatedAt")
      SELECT 'dev' || i, '00008120-' || lpad(upper(to_hex(i)), 16, '0'), '00008120-' || lpad(upper(to_hex(i)), 16, '0'), 'F' || lpad(i::text, 10, '0'),
             'MANAGED'::"DeviceStatus", 'OTA'::"EnrollmentType", 'iOS', repeat('00', 32), 'magic-' || i, 'com.apple.mgmt.External.bench', now(), now(), now()
      FROM generate_series(${from}, ${to - 1}) AS i`);
    await client.$executeRawUnsafe(`
      INSERT INTO "Command" ("id","uuid","deviceId","requestType","payload","status","createdAt","completedAt")
      SELECT 'hist' || i || '-' || h, 'hist-' || i || '-' || h, 'dev' || i, 'ProfileList', '<plist/>', 'ACKNOWLEDGED'::"CommandStatus", now() - interval '1 hour', now() - interval '50 minutes'
      FROM generate_series(${from}, ${to - 1}) AS i, generate_series(0, ${history - 1}) AS h`);
    await client.$executeRawUnsafe(`ANALYZE "Device"`);
    await client.$executeRawUnsafe(`ANALYZE "Command"`);
  } else {
    const ts = `strftime('%Y-%m-%dT%H:%M:%f+00:00','now')`;
    await client.$executeRawUnsafe(`
      WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to - 1})
      INSERT INTO "Device" ("id","identifier","udid","serialNumber","status","enrollmentType","platform","pushToken","pushMagic","topic","enrolledAt","createdAt","updatedAt")
      SELECT 'dev' || i, printf('00008120-%016X', i), printf('00008120-%016X', i), printf('F%010d', i), 'MANAGED', 'OTA', 'iOS', printf('%064d', 0), 'magic-' || i, 'com.apple.mgmt.External.bench', ${ts}, ${ts}, ${ts} FROM n`);
    await client.$executeRawUnsafe(`
      WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to - 1}), h(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM h WHERE j < ${history - 1})
      INSERT INTO "Command" ("id","uuid","deviceId","requestType","payload","status","createdAt","completedAt")
      SELECT 'hist' || i || '-' || j, 'hist-' || i || '-' || j, 'dev' || i, 'ProfileList', '<plist/>', 'ACKNOWLEDGED', strftime('%Y-%m-%dT%H:%M:%f+00:00','now','-1 hour'), strftime('%Y-%m-%dT%H:%M:%f+00:00','now','-50 minutes') FROM n, h`);
    await client.$executeRawUnsafe(`ANALYZE`);
  }
}

export interface Rate {
  perSecond: number;
  n: number;
  p50: number;
  p99: number;
}

/** Runs fn one after another for `seconds` (after 3 warm-up calls): rate and latency in ms. */
export async function measure(fn: () => unknown, seconds: number): Promise<Rate> {
  for (let i = 0; i < 3; i++) await fn();
  const lat: number[] = [];
  const start = performance.now();
  const until = start + seconds * 1000;
  while (performance.now() < until) {
    const t = performance.now();
    await fn();
    lat.push(performance.now() - t);
  }
  const wall = performance.now() - start;
  lat.sort((a, b) => a - b);
  return { perSecond: (lat.length * 1000) / wall, n: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}
