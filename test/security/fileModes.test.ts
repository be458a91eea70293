// The data directory holds the master key and the database: only the server's user may read it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ensureDataDir } from "@/lib/config";
import { migrate } from "@/lib/db/migrate";

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe("file modes", () => {
  it("creates the data directory 0700 and tightens one that others can read", () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "modes-"));
    const fresh = path.join(base, "data");
    ensureDataDir(fresh);
    expect(mode(fresh)).toBe(0o700);
    const loose = path.join(base, "loose");
    fs.mkdirSync(loose, { mode: 0o755 });
    fs.chmodSync(loose, 0o755);
    ensureDataDir(loose);
    expect(mode(loose)).toBe(0o700);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it("makes the SQLite database 0600, and its WAL files follow", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "modes-db-"));
    const file = path.join(dir, "enroll.db");
    fs.writeFileSync(file, "", { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    await migrate(`file:${file}`, path.resolve("prisma/migrations"));
    expect(mode(file)).toBe(0o600);
    for (const side of ["-wal", "-shm"]) if (fs.existsSync(file + side)) expect(mode(file + side)).toBe(0o600);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
