// Account-driven enrollment costs: verifyAccessToken (runs on every check-in of an
// account-driven device) against a table of many tokens, service discovery with a rule set,
// and the whole second POST (token check, challenge, build, sign, log).
// Figures only; no assertion. Run: npx tsx bench/adde.bench.ts [tokens=20000] [seconds=2]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const TOKENS = Number(process.argv[2] ?? process.env.BENCH_ADDE_TOKENS ?? 20_000);
const SECONDS = Number(process.argv[3] ?? process.env.BENCH_SECONDS ?? 2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "enroll-bench-adde-"));
process.env.DATA_DIR ??= dir;
process.env.MDM_SECRET ??= "bench-master-secret-0123456789abcdef";
process.env.PUBLIC_URL ??= "https://mdm.example.test";
process.env.LOG_LEVEL ??= "error";

const { createClient, setDb } = await import("../lib/db/client");
const { migrate, migrationsDir } = await import("../lib/db/migrate");
const { issueAccessToken, verifyAccessToken, hashToken, newToken } = await import("../lib/enrollment/accessTokens");
const { discover } = await import("../lib/enrollment/discovery");
const { createRoute } = await import("../lib/enrollment/routes");
const { enroll } = await import("../lib/enrollment/addeService");

const url = process.env.BENCH_DATABASE_URL ?? `file:${path.join(dir, "bench.db")}`;
const kind = url.startsWith("postgres") ? "postgres" : "sqlite";
await migrate(url, migrationsDir(kind));
const client = createClient(url);
setDb(url, client);

async function rate(fn: () => unknown | Promise<unknown>): Promise<string> {
  for (let i = 0; i < 3; i++) await fn();
  const until = performance.now() + SECONDS * 1000;
  const lat: number[] = [];
  while (performance.now() < until) {
    const t = performance.now();
    await fn();
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  const total = lat.reduce((a, b) => a + b, 0);
  return `${(lat.length / (total / 1000)).toFixed(0)}/s, p50 ${lat[Math.floor(lat.length * 0.5)].toFixed(2)} ms, p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(2)} ms (n=${lat.length})`;
}

// Seed users and tokens in bulk (hashes only; the tokens themselves are never needed).
const t0 = performance.now();
const users = 2000;
for (let i = 0; i < users; i += 500) {
  await client.user.createMany({ data: Array.from({ length: Math.min(500, users - i) }, (_, j) => ({ identifier: `user${i + j}@example.com` })) });
}
const userIds = (await client.user.findMany({ select: { id: true } })).map((u) => u.id);
const expiresAt = new Date(Date.now() + 86_400_000);
for (let i = 0; i < TOKENS; i += 2000) {
  await client.accessToken.createMany({
    data: Array.from({ length: Math.min(2000, TOKENS - i) }, (_, j) => ({ kind: "ACCESS" as const, hash: hashToken(newToken("ACCESS")), userId: userIds[(i + j) % userIds.length], version: "mdm-byod", expiresAt })),
  });
}
process.stdout.write(`seeded ${users} users, ${TOKENS} tokens (${kind}) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

const live = await issueAccessToken(userIds[0], "mdm-byod");
const unknown = newToken("ACCESS");
process.stdout.write(`verifyAccessToken, valid token:   ${await rate(() => verifyAccessToken(live))}\n`);
process.stdout.write(`verifyAccessToken, unknown token: ${await rate(() => verifyAccessToken(unknown))}\n`);
process.stdout.write(`verifyAccessToken, malformed:     ${await rate(() => verifyAccessToken("not-a-token"))}\n`);

for (let i = 0; i < 50; i++) await createRoute({ domain: `d${i}.example.org`, version: i % 2 ? "mdm-adde" : "mdm-byod" });
await createRoute({ domain: "example.com", version: "mdm-byod" });
const q = new URLSearchParams({ "user-identifier": "user1@example.com", "model-family": "iPhone" });
process.stdout.write(`discovery with 51 rules (incl. log line): ${await rate(() => discover(q))}\n`);

const body = new TextEncoder().encode(
  '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd"><plist version="1.0"><dict><key>LANGUAGE</key><string>en</string><key>PRODUCT</key><string>iPhone17,2</string><key>VERSION</key><string>22C152</string></dict></plist>',
);
process.stdout.write(`first POST (401 challenge):   ${await rate(() => enroll({ version: "mdm-byod", body, authorization: null, remoteAddr: null }))}\n`);
process.stdout.write(`second POST (signed profile): ${await rate(() => enroll({ version: "mdm-byod", body, authorization: `Bearer ${live}`, remoteAddr: null }))}\n`);
await client.$disconnect();
fs.rmSync(dir, { recursive: true, force: true });
