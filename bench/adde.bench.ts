// Account-driven enrollment costs: verifyAccessToken (runs on every check-in of an
// account-driven device) against a table of many tokens, service discovery with a rule set,
// and the whole second POST (token check, challenge, build, sign, log).
// Figures only; no assertion. Run: npx tsx bench/adde.bench.ts [tokens=20000] [seconds=2]
import { benchEnv, measure, openBenchDb } from "./helpers";

const TOKENS = Number(process.argv[2] ?? process.env.BENCH_ADDE_TOKENS ?? 20_000);
const SECONDS = Number(process.argv[3] ?? process.env.BENCH_SECONDS ?? 2);
const env = benchEnv("adde");

const { issueAccessToken, verifyAccessToken, hashToken, newToken } = await import("../lib/enrollment/accessTokens");
const { discover } = await import("../lib/enrollment/discovery");
const { createRoute } = await import("../lib/enrollment/routes");
const { enroll } = await import("../lib/enrollment/addeService");

const database = await openBenchDb("adde");
const { client, kind } = database;

async function rate(fn: () => unknown): Promise<string> {
  const r = await measure(fn, SECONDS);
  return `${r.perSecond.toFixed(0)}/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (n=${r.n})`;
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
    data: Array.from({ length: Math.min(2000, TOKENS - i) }, (_, j) => ({
      kind: "ACCESS" as const,
      hash: hashToken(newToken("ACCESS")),
      userId: userIds[(i + j) % userIds.length],
      version: "mdm-byod",
      expiresAt,
    })),
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
await database.close();
env.cleanup();
