// A throwaway database with all migrations applied, installed as the process-wide client.
// SQLite by default; PostgreSQL when TEST_DATABASE=postgres and TEST_POSTGRES_URL is set
// (.ci/run runs the data-layer suites that way too).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient, setDb, type Db } from "@/lib/db/client";
import { migrate, migrationsDir } from "@/lib/db/migrate";

export interface TestDb {
  url: string;
  kind: "sqlite" | "postgres";
  client: Db;
  close(): Promise<void>;
}

export function postgresWanted(): boolean {
  return process.env.TEST_DATABASE === "postgres";
}

/** A fresh, empty database on the server at baseUrl (dropped by drop()). */
export async function createPostgresDatabase(baseUrl: string, prefix = "enroll_test"): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: pg } = await import("pg");
  const name = `${prefix}_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** kind defaults to TEST_DATABASE's choice; benches ask for each kind they compare. */
export async function createTestDb(kind: TestDb["kind"] = postgresWanted() ? "postgres" : "sqlite", opts: { prefix?: string } = {}): Promise<TestDb> {
  const prefix = opts.prefix ?? "enroll_test";
  if (kind === "postgres") {
    const base = process.env.TEST_POSTGRES_URL;
    if (!base) throw new Error("PostgreSQL needs TEST_POSTGRES_URL (scripts/pg-server.sh start)");
    const { url, drop } = await createPostgresDatabase(base, prefix);
    await migrate(url, migrationsDir("postgres"));
    const client = createClient(url);
    setDb(url, client);
    return {
      url,
      kind: "postgres",
      client,
      close: async () => {
        await client.$disconnect();
        await drop();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix.replace(/_/g, "-")}-`));
  const url = `file:${path.join(dir, "test.db")}`;
  await migrate(url, migrationsDir("sqlite"));
  const client = createClient(url);
  setDb(url, client);
  return {
    url,
    kind: "sqlite",
    client,
    close: async () => {
      await client.$disconnect();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
