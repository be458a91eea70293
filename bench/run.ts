// `npm run bench`: the real-server bench (bench/server.bench.ts). `npm run bench -- <name>`
// runs the bench/*.bench.ts files whose name contains <name> instead (the in-process
// micro-benches: cms, profiles, devices, adde). Benchmarks measure, they never fail on a number.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const dir = import.meta.dirname;
const only = process.argv.slice(2);
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => (only.length === 0 ? f === "server.bench.ts" : only.some((o) => f.includes(o))))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(dir, f)], { stdio: "inherit", env: process.env });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`(${f} exited with ${r.status})\n`);
  }
}
process.exit(failed ? 1 : 0);
