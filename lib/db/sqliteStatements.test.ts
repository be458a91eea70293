// Prepared-statement reuse under the SQLite adapter: the same query text runs with other
// arguments and gives their answers, writes and transactions still work, and each text is
// prepared once per connection (at most `max` kept).
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { preparedStatement, reusePreparedStatements } from "./sqliteStatements";

describe("reusePreparedStatements on better-sqlite3", () => {
  it("binds each call's own arguments to the one prepared statement", () => {
    const db = new Database(":memory:");
    const prepared: string[] = [];
    const original = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      prepared.push(sql);
      return original(sql);
    }) as typeof db.prepare;
    reusePreparedStatements(db, 2);
    const use = db.prepare as unknown as (sql: string) => { bind(args: unknown[]): { reader: boolean; run(): { changes: number }; columns(): { name: string }[]; raw(): { all(): unknown[] } } };
    use("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)").bind([]).run();
    const insert = "INSERT INTO t (k, v) VALUES (?, ?)";
    for (const [k, v] of [
      ["a", 1],
      ["b", 2],
      ["c", 3],
    ] as const)
      expect(use(insert).bind([k, v]).run().changes).toBe(1);
    const select = "SELECT k, v FROM t WHERE v >= ? ORDER BY k";
    const q = use(select).bind([2]);
    expect(q.reader).toBe(true);
    expect(q.columns().map((c) => c.name)).toEqual(["k", "v"]);
    expect(q.raw().all()).toEqual([
      ["b", 2],
      ["c", 3],
    ]);
    expect(use(select).bind([3]).raw().all()).toEqual([["c", 3]]);
    expect(use(insert).bind(["a", 9]).run).toThrow(/UNIQUE/);
    expect(prepared.filter((s) => s === insert)).toHaveLength(1);
    expect(prepared.filter((s) => s === select)).toHaveLength(1);
    // max 2: a third text evicts the least recently used (the select; the insert ran last), which is prepared again.
    use("SELECT count(*) FROM t").bind([]).raw().all();
    expect(use(select).bind([4]).raw().all()).toEqual([]);
    expect(prepared.filter((s) => s === select)).toHaveLength(2);
    expect(prepared.filter((s) => s === insert)).toHaveLength(1);
    // Used without bind (the adapter's BEGIN): runs as is.
    (use("BEGIN") as unknown as { run(): unknown }).run();
    (use("ROLLBACK") as unknown as { run(): unknown }).run();
    // Fixed SQL run without Prisma goes through the same cache: prepared once, then reused.
    const stmt = preparedStatement(db, select);
    const times = prepared.filter((s) => s === select).length;
    expect(stmt?.raw(true).get(3)).toEqual(["c", 3]);
    expect(preparedStatement(db, select)).toBe(stmt);
    expect(prepared.filter((s) => s === select)).toHaveLength(times);
    db.close();
  });

  it("has no statement for a connection it did not set up", () => {
    const db = new Database(":memory:");
    expect(preparedStatement(db, "SELECT 1")).toBeUndefined();
    db.close();
  });
});

describe("Prisma on SQLite with reused statements", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb("sqlite");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("answers repeated query shapes with each call's rows, in and out of transactions", async () => {
    for (let i = 0; i < 5; i++) await t.client.device.create({ data: { identifier: `stmt-${i}`, udid: `stmt-${i}`, platform: i % 2 ? "iOS" : "macOS" } });
    for (let i = 0; i < 5; i++) expect((await t.client.device.findUnique({ where: { identifier: `stmt-${i}` } }))?.udid).toBe(`stmt-${i}`);
    expect(await t.client.device.findUnique({ where: { identifier: "stmt-none" } })).toBeNull();
    expect(await t.client.device.count({ where: { platform: "iOS" } })).toBe(2);
    await t.client.$transaction(async (tx) => {
      await tx.device.update({ where: { identifier: "stmt-0" }, data: { platform: "iOS" } });
      expect(await tx.device.count({ where: { platform: "iOS" } })).toBe(3);
    });
    await expect(
      t.client.$transaction(async (tx) => {
        await tx.device.update({ where: { identifier: "stmt-1" }, data: { platform: "tvOS" } });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect((await t.client.device.findUnique({ where: { identifier: "stmt-1" } }))?.platform).toBe("iOS");
    await expect(t.client.device.create({ data: { identifier: "stmt-2", udid: "dup" } })).rejects.toMatchObject({ code: "P2002" });
    expect(await t.client.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "Device" WHERE "identifier" LIKE ?`, "stmt-%")).toEqual([{ n: 5n }]);
  });
});
