import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { migrate, migrationStatus, migrationsDir, readMigrations } from "./migrate";

describe("migration runner", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => t.close());

  it("applies every migration once and records Prisma-compatible checksums", async () => {
    const dir = migrationsDir(t.kind);
    const status = await migrationStatus(t.url, dir);
    expect(status.pending).toEqual([]);
    expect(status.mismatched).toEqual([]);
    expect(status.applied).toEqual(readMigrations(dir).map((m) => m.name));
    expect(await migrate(t.url, dir)).toEqual([]);
  });

  it("keeps data across a second start", async () => {
    await t.client.organization.create({ data: { name: "Acme" } });
    await migrate(t.url, migrationsDir(t.kind));
    expect(await t.client.organization.count()).toBe(1);
  });

  it("refuses a database whose migration was changed", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mig-"));
    fs.cpSync(migrationsDir(t.kind), tmp, { recursive: true });
    const first = readMigrations(tmp)[0];
    fs.appendFileSync(path.join(tmp, first.name, "migration.sql"), "\n-- edited\n");
    await expect(migrate(t.url, tmp)).rejects.toThrow(/differ/);
  });
});
