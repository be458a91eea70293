// Start-up refuses bad configuration with one clear sentence and a non-zero exit,
// before building or serving anything.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

function start(env: Record<string, string>) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "enroll-start-"));
  const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    encoding: "utf8",
    timeout: 60_000,
    env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: os.tmpdir(), DATA_DIR: dataDir, ...env },
  });
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

function expectOneClearError(r: { code: number | null; out: string }, mentions: RegExp) {
  expect(r.code).not.toBe(0);
  expect(r.out).toMatch(/^open-enroll could not start: /m);
  expect(r.out).toMatch(mentions);
  expect(r.out).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
  expect(r.out.split("\n").filter((l) => l.trim()).length).toBe(1);
}

describe("start-up with bad configuration", () => {
  it("rejects a DATABASE_URL that is neither PostgreSQL nor SQLite", () => {
    expectOneClearError(start({ DATABASE_URL: "mysql://root@localhost/enroll" }), /DATABASE_URL/);
  });

  it("reports a PostgreSQL server that cannot be reached", () => {
    expectOneClearError(start({ DATABASE_URL: "postgres://enroll:pw@127.0.0.1:1/enroll", MDM_SECRET: "x".repeat(40) }), /DATABASE_URL.*127\.0\.0\.1:1/);
  });

  it("reports an unwritable data directory", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "enroll-ro-")), "not-a-dir");
    fs.writeFileSync(file, "");
    expectOneClearError(start({ DATA_DIR: file }), /DATA_DIR/);
  });

  it("rejects an invalid PORT, WORKERS and a short MDM_SECRET", () => {
    expectOneClearError(start({ PORT: "http" }), /PORT/);
    expectOneClearError(start({ WORKERS: "0" }), /WORKERS must be a whole number from 1 to 256, not "0"/);
    expectOneClearError(start({ WORKERS: "two" }), /WORKERS/);
    expectOneClearError(start({ MDM_SECRET: "short" }), /MDM_SECRET/);
  });
});
