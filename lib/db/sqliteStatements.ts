// Prepared-statement reuse for the SQLite driver adapter. @prisma/adapter-better-sqlite3
// prepares every query's SQL anew (`prepare(sql).bind(args)`), which the server profile
// shows as a fixed cost on every query; Prisma's SQL for one query shape is the same text,
// so each text is prepared once per connection. better-sqlite3 binds a statement's
// parameters for good, so the cached statement is handed out behind a per-call binding.
import type Database from "better-sqlite3";

type Statement = Database.Statement<unknown[]>;

/** What the adapter does with `prepare(sql).bind(args)` (adapter-better-sqlite3 7.x). */
interface BoundUse {
  readonly reader: boolean;
  run(): Database.RunResult;
  columns(): Database.ColumnDefinition[];
  raw(): { all(): unknown[] };
}

const cachedOf = new WeakMap<Database.Database, (sql: string) => Statement>();

/**
 * The reused prepared statement for `sql` on a connection set up by reusePreparedStatements
 * (fixed SQL run without Prisma, see fixedSql.ts); undefined on any other connection.
 */
export function preparedStatement(db: Database.Database, sql: string): Statement | undefined {
  return cachedOf.get(db)?.(sql);
}

/** Makes db.prepare(sql) reuse up to `max` statements (least recently used dropped). */
export function reusePreparedStatements(db: Database.Database, max = 500): void {
  const prepare = db.prepare.bind(db) as (sql: string) => Statement;
  const cache = new Map<string, Statement>();
  const cached = (sql: string): Statement => {
    let stmt = cache.get(sql);
    if (stmt) {
      cache.delete(sql); // re-inserted below: most recently used last
    } else {
      stmt = prepare(sql);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, stmt);
    return stmt;
  };
  cachedOf.set(db, cached);
  // A statement's result columns are fixed by its SQL (Prisma names every column it selects),
  // and reading them is a native call that builds new objects each time: read once.
  const columns = new WeakMap<Statement, Database.ColumnDefinition[]>();
  const columnsOf = (stmt: Statement) => {
    let c = columns.get(stmt);
    if (!c) {
      c = stmt.columns();
      columns.set(stmt, c);
    }
    return c;
  };
  const replacement = (sql: string) => {
    const stmt = cached(sql);
    return {
      bind: (args: unknown[]): BoundUse => ({
        reader: stmt.reader,
        run: () => stmt.run(...args),
        columns: () => columnsOf(stmt),
        raw: () => ({ all: () => stmt.raw(true).all(...args) }),
      }),
      // Used without bind (the adapter's BEGIN): as the statement itself would be.
      run: (...args: unknown[]) => stmt.run(...args),
    };
  };
  (db as unknown as { prepare: typeof replacement }).prepare = replacement;
}
