// The Prisma client for the configured database: SQLite (embedded default) through
// better-sqlite3, or PostgreSQL through pg. Both clients are generated from one model
// (prisma/schema.prisma), so the SQLite client's types describe either.
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type Database from "better-sqlite3";
import { PrismaClient as SqliteClient } from "./generated/sqlite/client";
import { PrismaClient as PostgresClient } from "./generated/postgres/client";
import { config } from "../config";
import { reusePreparedStatements } from "./sqliteStatements";

export type Db = SqliteClient;
export type { Prisma } from "./generated/sqlite/client";

/** Each SQLite client's connection once Prisma opened it (fixedSql.ts runs its reads there). */
const sqliteConnections = new WeakMap<Db, Database.Database>();

export function sqliteConnection(client: Db): Database.Database | undefined {
  return sqliteConnections.get(client);
}

const globalForDb = globalThis as unknown as { __enrollDb?: { url: string; client: Db; pinned?: boolean } };

export function createClient(databaseUrl: string): Db {
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    const adapter = new PrismaPg({ connectionString: databaseUrl, max: 10 });
    return new PostgresClient({ adapter }) as unknown as Db;
  }
  const file = databaseUrl.replace(/^file:/, "");
  const adapter = new PrismaBetterSqlite3({ url: file, timeout: 10_000 });
  const connect = adapter.connect.bind(adapter);
  const client = new SqliteClient({ adapter });
  adapter.connect = async () => {
    const connection = await connect();
    const handle = (connection as unknown as { client: Database.Database }).client;
    reusePreparedStatements(handle);
    sqliteConnections.set(client, handle);
    return connection;
  };
  return client;
}

/** The process-wide client (kept on globalThis so dev-mode reloads reuse it). */
export function db(): Db {
  const url = config().databaseUrl;
  const cached = globalForDb.__enrollDb;
  if (cached && (cached.pinned || cached.url === url)) return cached.client;
  const client = createClient(url);
  globalForDb.__enrollDb = { url, client };
  return client;
}

/** Replaces the process-wide client (tests point it at a throwaway database). */
export function setDb(url: string, client: Db): void {
  // Pinned: db() must keep returning it even though config().databaseUrl names another database.
  globalForDb.__enrollDb = { url, client, pinned: true };
}

/** Which database db() talks to (the installed client's, which tests may have swapped). */
export function dbKind(): "sqlite" | "postgres" {
  const url = globalForDb.__enrollDb?.url ?? config().databaseUrl;
  return /^postgres(ql)?:\/\//.test(url) ? "postgres" : "sqlite";
}

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: string }).code === "P2002";
}
