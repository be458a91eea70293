// SCEP PKCSReq issuance rate: requests shaped like micromdm scepclient's (DES-CBC envelope,
// SHA-256 signature, challengePassword, self-signed signer) are built once with pkijs, then
// posted in a loop to our real SCEP route (SQLite, enrollment log, inventory row per
// certificate). If /usr/bin/scepserver exists, the same loop runs against micromdm's
// scepserver on this machine for comparison. Figures only; no assertion.
// Run: npx tsx bench/scep.bench.ts [requests per run]
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { benchEnv, openBenchDb } from "./helpers";

const TOTAL = Number(process.argv[2] ?? process.env.BENCH_SCEP_REQUESTS ?? 200);
const DISTINCT = Math.min(40, TOTAL);
const CONCURRENCY = [1, 4];
const env = benchEnv("scep");

const { createScepProfile } = await import("../lib/scep/profiles");
const { serveRouteImports } = await import("../test/helpers/routeServer");
const client = await import("../test/helpers/scepClient");

const DES_CBC = "1.3.14.3.2.7";
const CHALLENGE = "bench-challenge-secret";

/** Requests encrypted to `recipientDer`: our RA, or the single CA certificate micromdm's scepserver answers. */
async function buildRequests(recipientDer: Uint8Array, count: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const subject = `CN=bench-${i},O=scep-client,OU=MDM,C=US`;
    const csrDer = await client.buildCsr(subject, privateKey, publicKey, CHALLENGE);
    const signerCertDer = await client.selfSigned(subject, privateKey, publicKey);
    out.push((await client.buildPkiMessage({ csrDer, recipientCertDer: recipientDer, signerCertDer, signerKeyPem: privateKey, cipherOid: DES_CBC })).body);
  }
  return out;
}

async function run(url: string, requests: Uint8Array[], concurrency: number): Promise<{ perSecond: number; ok: number; failed: number; ms: number; p50: number; p95: number }> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= TOTAL) return;
        const s = performance.now();
        const res = await fetch(`${url}?operation=PKIOperation`, { method: "POST", body: Buffer.from(requests[i % requests.length]) });
        const body = Buffer.from(await res.arrayBuffer());
        latencies.push(performance.now() - s);
        if (res.status === 200 && isSuccess(body)) ok++;
        else failed++;
      }
    }),
  );
  const ms = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return { perSecond: (ok / ms) * 1000, ok, failed, ms, p50: latencies[Math.floor(latencies.length / 2)], p95: latencies[Math.floor(latencies.length * 0.95)] };
}

/** pkiStatus attribute (2.16.840.1.113733.1.9.3) with value "0". */
function isSuccess(certRep: Buffer): boolean {
  const oid = Buffer.from("060a6086480186f845010903", "hex");
  const at = certRep.indexOf(oid);
  if (at < 0) return false;
  const value = certRep.subarray(at + oid.length, at + oid.length + 5);
  return value.equals(Buffer.from("3103130130", "hex"));
}

function report(name: string, r: Awaited<ReturnType<typeof run>>, concurrency: number) {
  console.log(
    `${name.padEnd(28)} concurrency ${concurrency}: ${r.perSecond.toFixed(1).padStart(6)} issuances/s  (${r.ok} ok, ${r.failed} failed, ${(r.ms / 1000).toFixed(1)} s, p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms)`,
  );
}

// ---- ours
const database = await openBenchDb("scep", "sqlite");
const profile = await createScepProfile({ name: "bench", challengeType: "STATIC", staticChallenge: CHALLENGE, subjectTemplate: "CN=$UDID,O=Bench" });
const server = await serveRouteImports({ "/scep/[id]": import("../app/scep/[id]/route") });
const ourUrl = `${server.url}/scep/${profile.profile.id}`;
console.log(`Building ${DISTINCT} scepclient-shaped PKCSReq messages (RSA-2048, DES-CBC, SHA-256); ${TOTAL} requests per run.`);
const ours = await buildRequests((await client.getScepCerts(ourUrl)).raDer, DISTINCT);
await run(ourUrl, ours.slice(0, 5), 1); // warm-up (JIT, first CA load)
for (const c of CONCURRENCY) report("open-enroll /scep", await run(ourUrl, ours, c), c);
await server.close();

// ---- micromdm scepserver, same machine, same requests shape
const SCEPSERVER = "/usr/bin/scepserver";
if (fs.existsSync(SCEPSERVER)) {
  const depot = path.join(env.dir, "depot");
  const init = spawn(SCEPSERVER, ["ca", "-init", "-depot", depot], { stdio: "ignore" });
  await new Promise((resolve) => init.on("exit", resolve));
  const port = 20000 + crypto.randomInt(20000);
  const child: ChildProcess = spawn(SCEPSERVER, ["-depot", depot, "-port", String(port), "-challenge", CHALLENGE, "-allowrenew", "0"], { stdio: "ignore" });
  try {
    const url = `http://127.0.0.1:${port}/scep`;
    for (let i = 0; i < 50; i++) {
      try {
        if ((await fetch(`${url}?operation=GetCACaps`)).ok) break;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const theirs = await buildRequests(new Uint8Array(await (await fetch(`${url}?operation=GetCACert`)).arrayBuffer()), DISTINCT);
    await run(url, theirs.slice(0, 5), 1);
    for (const c of CONCURRENCY) report("micromdm scepserver", await run(url, theirs, c), c);
  } finally {
    child.kill("SIGTERM");
  }
} else {
  console.log("micromdm scepserver not installed: no comparison figure.");
}
await database.close();
env.cleanup();
process.exit(0);
