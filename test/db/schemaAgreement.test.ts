// The migration folders and schema.prisma must describe the same database: apply the
// migrations to one empty database, and the SQL Prisma's schema engine derives from
// schema.prisma alone to another, then compare what each database actually contains.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrate, migrationsDir } from "@/lib/db/migrate";
import { postgresWanted } from "@/test/helpers/db";

function schemaSql(provider: "sqlite" | "postgres"): string {
  return execFileSync(process.execPath, ["--experimental-wasm-modules", "--no-warnings", "scripts/schema-diff.mjs", "--provider", provider, "--full"], {
    encoding: "utf8",
    env: process.env,
  });
}

function sqliteShape(file: string): string[] {
  const conn = new Database(file, { readonly: true });
  try {
    const tables = conn.prepare(`SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name`).all() as { name: string }[];
    const out: string[] = [];
    for (const { name } of tables) {
      for (const c of conn.prepare(`PRAGMA table_info("${name}")`).all() as { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[]) {
        out.push(`${name}.${c.name} ${c.type} notnull=${c.notnull} default=${c.dflt_value} pk=${c.pk}`);
      }
      for (const fk of conn.prepare(`PRAGMA foreign_key_list("${name}")`).all() as { table: string; from: string; to: string; on_delete: string; on_update: string }[]) {
        out.push(`${name} fk ${fk.from} -> ${fk.table}.${fk.to} delete=${fk.on_delete} update=${fk.on_update}`);
      }
      for (const ix of conn.prepare(`PRAGMA index_list("${name}")`).all() as { name: string; unique: number }[]) {
        const cols = (conn.prepare(`PRAGMA index_info("${ix.name}")`).all() as { name: string }[]).map((c) => c.name).join(",");
        out.push(`${name} index ${ix.name} unique=${ix.unique} (${cols})`);
      }
    }
    return out.sort();
  } finally {
    conn.close();
  }
}

describe("migrations agree with schema.prisma", () => {
  it("SQLite: migrations produce exactly the schema.prisma database", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "schema-agree-"));
    const viaMigrations = path.join(dir, "migrations.db");
    await migrate(`file:${viaMigrations}`, migrationsDir("sqlite"));
    const viaSchema = path.join(dir, "schema.db");
    const conn = new Database(viaSchema);
    conn.exec(schemaSql("sqlite"));
    conn.close();
    const a = sqliteShape(viaMigrations);
    expect(a.length).toBeGreaterThan(50);
    expect(a).toEqual(sqliteShape(viaSchema));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.runIf(postgresWanted())("PostgreSQL: migrations produce exactly the schema.prisma database", async () => {
    const { default: pg } = await import("pg");
    const base = process.env.TEST_POSTGRES_URL!;
    const names = [1, 2].map(() => `agree_${crypto.randomBytes(5).toString("hex")}`);
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    for (const n of names) await admin.query(`CREATE DATABASE "${n}"`);
    const urlOf = (n: string) => Object.assign(new URL(base), { pathname: `/${n}` }).toString();
    const shape = async (url: string) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const cols = await c.query(
        `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default FROM information_schema.columns WHERE table_schema='public' AND table_name <> '_prisma_migrations'`,
      );
      const idx = await c.query(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname='public' AND tablename <> '_prisma_migrations'`);
      const cons = await c.query(
        `SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace='public'::regnamespace AND conrelid::regclass::text <> '"_prisma_migrations"' AND conrelid::regclass::text <> '_prisma_migrations'`,
      );
      const enums = await c.query(`SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid ORDER BY t.typname, e.enumsortorder`);
      await c.end();
      return [...cols.rows.map((r) => JSON.stringify(r)), ...idx.rows.map((r) => JSON.stringify(r)), ...cons.rows.map((r) => JSON.stringify(r)), ...enums.rows.map((r) => JSON.stringify(r))].sort();
    };
    try {
      await migrate(urlOf(names[0]), migrationsDir("postgres"));
      const c = new pg.Client({ connectionString: urlOf(names[1]) });
      await c.connect();
      await c.query(schemaSql("postgres"));
      await c.end();
      const a = await shape(urlOf(names[0]));
      expect(a.length).toBeGreaterThan(50);
      expect(a).toEqual(await shape(urlOf(names[1])));
    } finally {
      for (const n of names) await admin.query(`DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
