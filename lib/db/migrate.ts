// Applies the Prisma migration folders at start, without the Prisma CLI (whose native
// schema engine cannot be installed everywhere). It keeps Prisma's own bookkeeping table,
// `_prisma_migrations`, with the same checksums, so `prisma migrate deploy` and this
// runner can take turns on one database.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied in the database but with a different checksum, or unknown here. */
  mismatched: string[];
}

/** Prisma's advisory-lock key, so we serialise with `prisma migrate` and other instances. */
const PG_LOCK_KEY = 72707369;

export function migrationsDir(kind: "sqlite" | "postgres", root = process.cwd()): string {
  return path.join(root, kind === "postgres" ? "prisma/postgres/migrations" : "prisma/migrations");
}

export function readMigrations(dir: string): Migration[] {
  if (!fs.existsSync(dir)) throw new Error(`migrations folder not found: ${dir}`);
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: crypto.createHash("sha256").update(sql).digest("hex") };
    });
}

/** The few operations the runner needs, implemented for each driver. */
interface Runner {
  ensureTable(): Promise<void>;
  applied(): Promise<{ name: string; checksum: string; finished: boolean }[]>;
  apply(m: Migration): Promise<void>;
  lock(): Promise<void>;
  unlock(): Promise<void>;
  close(): Promise<void>;
}

async function sqliteRunner(file: string): Promise<Runner> {
  const { default: Database } = await import("better-sqlite3");
  const conn = new Database(file);
  // 0600: SQLite gives its -wal and -shm files the database file's mode.
  if (fs.existsSync(file)) fs.chmodSync(file, 0o600);
  conn.pragma("journal_mode = WAL");
  conn.pragma("busy_timeout = 10000");
  return {
    async ensureTable() {
      conn.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
        "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
        "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
        "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`);
    },
    async applied() {
      const rows = conn.prepare(`SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`).all() as {
        migration_name: string;
        checksum: string;
        finished_at: string | null;
      }[];
      return rows.map((r) => ({ name: r.migration_name, checksum: r.checksum, finished: r.finished_at !== null }));
    },
    async apply(m) {
      conn
        .transaction(() => {
          conn.exec(m.sql);
          conn
            .prepare(`INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, ?, ?, 1)`)
            .run(crypto.randomUUID(), m.checksum, Date.now(), m.name, Date.now());
        })
        .immediate();
    },
    async lock() {},
    async unlock() {},
    async close() {
      conn.close();
    },
  };
}

async function postgresRunner(url: string): Promise<Runner> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  return {
    async ensureTable() {
      await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
        id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
        migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ,
        started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)`);
    },
    async applied() {
      const r = await client.query(`SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`);
      return r.rows.map((row: { migration_name: string; checksum: string; finished_at: Date | null }) => ({
        name: row.migration_name,
        checksum: row.checksum,
        finished: row.finished_at !== null,
      }));
    },
    async apply(m) {
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query(`INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, now(), 1)`, [
          crypto.randomUUID(),
          m.checksum,
          m.name,
        ]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw err;
      }
    },
    async lock() {
      await client.query("SELECT pg_advisory_lock($1)", [PG_LOCK_KEY]);
    },
    async unlock() {
      await client.query("SELECT pg_advisory_unlock($1)", [PG_LOCK_KEY]);
    },
    async close() {
      await client.end();
    },
  };
}

function openRunner(databaseUrl: string): Promise<Runner> {
  return /^postgres(ql)?:\/\//.test(databaseUrl) ? postgresRunner(databaseUrl) : sqliteRunner(databaseUrl.replace(/^file:/, ""));
}

function statusOf(files: Migration[], applied: { name: string; checksum: string; finished: boolean }[]): MigrationStatus {
  const byName = new Map(applied.map((a) => [a.name, a]));
  const known = new Set(files.map((f) => f.name));
  return {
    applied: files.filter((f) => byName.get(f.name)?.finished).map((f) => f.name),
    pending: files.filter((f) => !byName.has(f.name)).map((f) => f.name),
    mismatched: [
      ...files.filter((f) => byName.has(f.name) && (byName.get(f.name)!.checksum !== f.checksum || !byName.get(f.name)!.finished)).map((f) => f.name),
      ...applied.filter((a) => !known.has(a.name)).map((a) => a.name),
    ],
  };
}

export async function migrationStatus(databaseUrl: string, dir: string): Promise<MigrationStatus> {
  const runner = await openRunner(databaseUrl);
  try {
    await runner.ensureTable();
    return statusOf(readMigrations(dir), await runner.applied());
  } finally {
    await runner.close();
  }
}

/** Applies every pending migration in order; returns the names applied. */
export async function migrate(databaseUrl: string, dir: string): Promise<string[]> {
  const files = readMigrations(dir);
  const runner = await openRunner(databaseUrl);
  try {
    await runner.lock();
    await runner.ensureTable();
    const status = statusOf(files, await runner.applied());
    if (status.mismatched.length > 0) {
      throw new Error(`the database has migrations that differ from this version's files (${status.mismatched.join(", ")}); it was changed by another version of the server`);
    }
    for (const m of files.filter((f) => status.pending.includes(f.name))) await runner.apply(m);
    return status.pending;
  } finally {
    await runner.unlock().catch(() => undefined);
    await runner.close();
  }
}
