// /api/health: the database answers and its migrations match this version.
import { config } from "./config";
import { db } from "./db/client";
import { migrationStatus, migrationsDir } from "./db/migrate";

export interface Health {
  ok: boolean;
  database: "ok" | "unreachable";
  migrations: "current" | "pending" | "mismatched" | "unknown";
  pending?: string[];
}

let cached: { at: number; value: Health } | null = null;

export async function health(): Promise<Health> {
  if (cached && Date.now() - cached.at < 10_000) return cached.value;
  let value: Health;
  try {
    await db().$queryRawUnsafe("SELECT 1");
  } catch {
    value = { ok: false, database: "unreachable", migrations: "unknown" };
    cached = { at: Date.now(), value };
    return value;
  }
  try {
    const cfg = config();
    const s = await migrationStatus(cfg.databaseUrl, migrationsDir(cfg.databaseKind));
    const migrations = s.mismatched.length ? "mismatched" : s.pending.length ? "pending" : "current";
    value = { ok: migrations === "current", database: "ok", migrations, ...(s.pending.length ? { pending: s.pending } : {}) };
  } catch {
    value = { ok: false, database: "ok", migrations: "unknown" };
  }
  cached = { at: Date.now(), value };
  return value;
}
