// npm run db:migration -- NAME: writes the next migration for SQLite and PostgreSQL.
import { spawnSync } from "node:child_process";
import { execFileSync } from "node:child_process";

const name = process.argv[2];
if (!name) {
  console.error("usage: npm run db:migration -- NAME");
  process.exit(1);
}
execFileSync(process.execPath, ["scripts/prisma-generate.mjs"], { stdio: "inherit" });
const pg = process.env.TEST_POSTGRES_URL
  ? process.env.TEST_POSTGRES_URL
  : execFileSync("bash", ["scripts/pg-server.sh", "start"], { encoding: "utf8" })
      .trim()
      .replace(/^export TEST_POSTGRES_URL=/, "");
for (const provider of ["sqlite", "postgres"]) {
  const r = spawnSync(process.execPath, ["--experimental-wasm-modules", "--no-warnings", "scripts/schema-diff.mjs", "--provider", provider, "--create", name], {
    stdio: "inherit",
    env: { ...process.env, TEST_POSTGRES_URL: pg },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
