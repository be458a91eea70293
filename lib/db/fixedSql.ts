// Fixed SQL for the hottest point reads of the MDM protocol: Prisma's query building and
// result mapping cost more CPU than the database's execution of them (docs/performance.md,
// proposal 12). On SQLite the statement runs on the adapter's own connection through the
// reused prepared statement (sqliteStatements.ts), as Prisma's reads outside a transaction
// do; on PostgreSQL through $queryRawUnsafe. Parameters are always bound, never spliced.
import { db, dbKind, sqliteConnection } from "./client";
import { preparedStatement } from "./sqliteStatements";

/** `?` placeholders in order, as SQLite takes them, to PostgreSQL's `$1, $2, …`. */
function postgresPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * The first column of the first row of `sql` (identifiers double-quoted, `?` placeholders,
 * valid on both databases), or null when there is no row.
 */
export async function firstValue(sql: string, params: readonly (string | number)[]): Promise<unknown> {
  const client = db();
  if (dbKind() === "postgres") {
    const rows = await client.$queryRawUnsafe<Record<string, unknown>[]>(postgresPlaceholders(sql), ...params);
    return rows.length ? Object.values(rows[0])[0] : null;
  }
  const connection = sqliteConnection(client);
  const stmt = connection && preparedStatement(connection, sql);
  if (!stmt) {
    // Not connected yet (the process's first query): Prisma opens the connection.
    const rows = await client.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params);
    return rows.length ? Object.values(rows[0])[0] : null;
  }
  // raw(true): the statement is shared with the adapter, which reads it in raw mode.
  const row = stmt.raw(true).get(...params) as unknown[] | undefined;
  return row ? row[0] : null;
}
