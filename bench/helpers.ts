// Set-up shared by bench/*.bench.ts: the environment the server's modules read, the
// database (throwaway like the tests', or an existing one), and the timing loop.
// Only node: imports at the top: the benches set the environment before loading lib/.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestDb } from "../test/helpers/db";

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

export interface Rate {
  perSecond: number;
  n: number;
  p50: number;
  p99: number;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
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
