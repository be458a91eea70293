// The real-server bench (`npm run bench`): starts the server as `npm start` does (its own
// temporary DATA_DIR; SQLite, then PostgreSQL when available), drives it over keep-alive
// HTTP from this process, and reads the server's CPU time and memory from /proc (the
// start.ts process and all its descendants: serve.mjs, its workers). Per database size
// (10k, then 100k seeded devices) it prints: operation, ops/s, p50/p99 per HTTP request,
// server CPU ms per operation, RSS. micromdm's scepserver gets the same SCEP load.
//
// Environment: BENCH_SIZES=10000,100000  BENCH_WORKERS (server's WORKERS; default one per
// core)  BENCH_SCALE=1 (multiplies request counts)  BENCH_PORT=3390  BENCH_DB=sqlite,postgres
// BENCH_OPS=idle,command,checkin,scep,ota,api (a subset)  BENCH_PROFILE=<dir> (server runs
// with --cpu-prof into dir). Figures only; never fails on a number.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { seedDevices, type BenchDb } from "./helpers";
import { LoadClient, expectStatus, type LoadRequest } from "./load";
import { formatTable, percentile, processTree, treeCpuMs, treeRssMb, type Row } from "./report";
import { startServer, type RunningServer } from "./server";

const SIZES = (process.env.BENCH_SIZES ?? "10000,100000").split(",").map(Number);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const PORT = Number(process.env.BENCH_PORT ?? 3390);
const SIMS = 20; // devices polling at once, each on its own keep-alive connection
const IDLE_POLLS = Math.round(60 * SCALE); // per device
const COMMANDS = Math.round(15 * SCALE); // per device
const CHECKINS = Math.round(15 * SCALE); // per device and message type
const SCEP_ENROLLMENTS = Math.round(40 * SCALE);
const SCEP_CONCURRENCY = 4;
const OTA_DOWNLOADS = Math.round(150 * SCALE);
const API_LISTS = Math.round(60 * SCALE);
const HTTP_CONCURRENCY = 4;
const OPS = new Set((process.env.BENCH_OPS ?? "idle,command,checkin,scep,ota,api").split(","));
const CHALLENGE = "bench-static-challenge-0123456789";
const SECRET = "bench-master-secret-0123456789abcdef";
const publicUrl = `http://127.0.0.1:${PORT}`;
const profileDir = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : null;
if (profileDir) fs.mkdirSync(profileDir, { recursive: true });

// The bench process reads and seeds the same database as the server (lib/ set up below).
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "enroll-bench-server-"));
Object.assign(process.env, { DATA_DIR: path.join(workDir, "bench-client"), MDM_SECRET: SECRET, PUBLIC_URL: publicUrl, LOG_LEVEL: "error" });

const { createClient, setDb } = await import("../lib/db/client");
const { createPostgresDatabase } = await import("../test/helpers/db");
const { issueCertificate } = await import("../lib/pki/certificates");
const { generateRsaKeyPair, publicKeyInfoFromPem } = await import("../lib/pki/keys");
const { clearCaCache } = await import("../lib/pki/ca");
const { clearServerKeyCache } = await import("../lib/secrets/serverKeys");
const { currentMdmTopic } = await import("../lib/settings/mdmEndpoints");
const { enqueueCommands } = await import("../lib/mdm/commands");
const { createScepProfile } = await import("../lib/scep/profiles");
const { createEnrollmentToken } = await import("../lib/enrollment/tokens");
const { createApiKey } = await import("../lib/auth/apiKeys");
const { buildPlist } = await import("../lib/plist/plist");
const { SimDevice } = await import("../test/sim/device");

const MDM_TYPE = "application/x-apple-aspen-mdm";
const CHECKIN_TYPE = "application/x-apple-aspen-mdm-checkin";

interface Signed {
  body: Uint8Array;
  sig: string;
}

interface BenchDevice {
  sim: InstanceType<typeof SimDevice>;
  deviceId: string;
  idle: Signed;
  authenticate: Signed;
  tokenUpdate: Signed;
}

async function signed(sim: InstanceType<typeof SimDevice>, message: Parameters<typeof buildPlist>[0]): Promise<Signed> {
  const body = new TextEncoder().encode(buildPlist(message));
  return { body, sig: await sim.sign(body) };
}

const put = (route: string, s: Signed, type: string) => ({ method: "PUT" as const, path: route, headers: { "content-type": type, "mdm-signature": s.sig }, body: s.body });

/** Measures one operation: server CPU and wall time around `run`, which returns how many operations it did. */
async function measureOp(server: RunningServer, client: LoadClient, operation: string, run: () => Promise<{ ops: number; latencies?: number[] }>, note?: string): Promise<Row> {
  client.reset();
  const before = new Map(processTree(server.pid).map((p) => [p.pid, p]));
  const cpu0 = treeCpuMs(server.pid);
  const t0 = performance.now();
  const mono0 = process.hrtime.bigint();
  const { ops, latencies } = await run();
  const wall = performance.now() - t0;
  // The operation's time window on the monotonic clock V8's profiles use (bench/profileTop.ts --window).
  if (profileDir) fs.appendFileSync(path.join(profileDir, "windows.jsonl"), `${JSON.stringify({ operation, startUs: Number(mono0 / 1000n), endUs: Number(process.hrtime.bigint() / 1000n) })}\n`);
  const cpu = treeCpuMs(server.pid) - cpu0;
  const after = processTree(server.pid);
  const perProcess = after.map((p) => `${p.pid}: ${(p.cpuMs - (before.get(p.pid)?.cpuMs ?? 0)).toFixed(0)} ms (${(p.systemMs - (before.get(p.pid)?.systemMs ?? 0)).toFixed(0)} kernel)`);
  const rss = treeRssMb(server.pid);
  const lat = [...(latencies ?? client.latencies)].sort((a, b) => a - b);
  const row: Row = {
    operation,
    perSecond: (ops * 1000) / wall,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    cpuMs: cpu / ops,
    rssMaxMb: Math.max(...rss),
    rssTotalMb: rss.reduce((a, b) => a + b, 0),
    note,
  };
  process.stdout.write(`  ${operation}: ${ops} ops in ${(wall / 1000).toFixed(1)} s, ${row.cpuMs.toFixed(2)} ms server CPU each; by process ${perProcess.join(", ")}\n`);
  return row;
}

/** Devices that enroll for real (Authenticate + TokenUpdate over HTTP) with identities from the server's CA. */
async function enrollDevices(client: LoadClient, topic: string): Promise<BenchDevice[]> {
  const keys = await generateRsaKeyPair(2048); // one key, a certificate each: signing set-up stays cheap
  const out: BenchDevice[] = [];
  for (let i = 0; i < SIMS; i++) {
    const udid = `00008130-${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
    const { der } = await issueCertificate({ publicKeyInfo: publicKeyInfoFromPem(keys.publicPem), subject: `CN=${udid}`, validityDays: 30, keyUsage: 5 });
    const sim = new SimDevice({ udid, topic });
    await sim.useIdentity({ certDer: der, privateKeyPem: keys.privatePem });
    const d = {
      sim,
      deviceId: "",
      idle: await signed(sim, { UDID: udid, Status: "Idle" }),
      authenticate: await signed(sim, sim.authenticateMessage()),
      tokenUpdate: await signed(sim, sim.tokenUpdateMessage()),
    };
    expectStatus(await client.request(put("/mdm/checkin", d.authenticate, CHECKIN_TYPE), false), 200, "Authenticate");
    expectStatus(await client.request(put("/mdm/checkin", d.tokenUpdate, CHECKIN_TYPE), false), 200, "TokenUpdate");
    out.push(d);
  }
  return out;
}

/** Pre-generated RSA keys (PKCS#1 PEM, as scepclient reads them): key generation is the client's cost, not the server's. */
async function scepKeys(count: number): Promise<string[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<string>((resolve, reject) =>
          crypto.generateKeyPair("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } }, (err, _pub, priv) =>
            err ? reject(err) : resolve(priv),
          ),
        ),
    ),
  );
}

let enrollmentSerial = 0; // a new subject each run: scepserver refuses a second certificate for a CN

/** `count` enrollments with micromdm's scepclient (GetCACaps, GetCACert, PKIOperation each), `concurrency` at a time. */
async function scepclientRuns(url: string, keys: string[], outDir: string): Promise<{ ops: number; latencies: number[] }> {
  fs.mkdirSync(outDir, { recursive: true });
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: SCEP_CONCURRENCY }, async () => {
      for (;;) {
        const i = next++;
        if (i >= keys.length) return;
        const t = performance.now();
        // scepclient writes csr.pem into its working directory and signs with a key read next
        // to it (a key file elsewhere makes its request fail to verify): one directory each.
        const cwd = fs.mkdtempSync(path.join(outDir, `run-${i}-`));
        fs.writeFileSync(path.join(cwd, "key.pem"), keys[i]);
        const cert = path.join(cwd, "cert.pem");
        const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn("scepclient", ["-server-url", url, "-private-key", "key.pem", "-certificate", cert, "-challenge", CHALLENGE, "-cn", `bench-${process.pid}-${enrollmentSerial++}`], {
            cwd,
            stdio: ["ignore", "pipe", "pipe"],
          });
          let out = "";
          child.stdout.on("data", (b: Buffer) => (out += b));
          child.stderr.on("data", (b: Buffer) => (out += b));
          child.on("exit", (code) => resolve({ code, out }));
        });
        latencies.push(performance.now() - t);
        if (r.code !== 0 || !fs.existsSync(cert)) throw new Error(`scepclient against ${url} failed (${r.code}): ${r.out.slice(-500)}`);
      }
    }),
  );
  return { ops: keys.length, latencies };
}

interface Setup {
  devices: BenchDevice[];
  scepUrl: string;
  otaPath: string;
  apiKey: string;
}

async function prepare(server: RunningServer, client: LoadClient): Promise<Setup> {
  const topic = await currentMdmTopic();
  const devices = await enrollDevices(client, topic);
  const { db } = await import("../lib/db/client");
  for (const d of devices) d.deviceId = (await db().device.findUniqueOrThrow({ where: { identifier: d.sim.udid }, select: { id: true } })).id;
  const profile = await createScepProfile({ name: "bench", challengeType: "STATIC", staticChallenge: CHALLENGE, subjectTemplate: "CN=$UDID,O=Bench" });
  const token = await createEnrollmentToken({ name: "Bench", expiresIn: "never", maxUses: 0 });
  const apiKey = (await createApiKey("bench", "READ_ONLY")).key;
  return { devices, scepUrl: `${server.url}/scep/${profile.profile.id}`, otaPath: `/enroll/profile?token=${encodeURIComponent(token.jwt)}`, apiKey };
}

async function runOperations(server: RunningServer, client: LoadClient, s: Setup, size: number, withScepserver: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const { devices } = s;
  // Warm-up: every worker gets requests of each kind before the clock starts.
  for (let i = 0; i < 10; i++) await client.drive(SIMS, async (c) => void (await client.request(put("/mdm/connect", devices[c].idle, MDM_TYPE), false, c)));

  if (OPS.has("idle"))
    rows.push(
      await measureOp(server, client, `Idle poll, empty queue (${SIMS} devices, ${SIMS} concurrent)`, async () => {
        await client.drive(SIMS, async (c) => {
          for (let i = 0; i < IDLE_POLLS; i++) {
            const r = expectStatus(await client.request(put("/mdm/connect", devices[c].idle, MDM_TYPE), true, c), 200, "Idle poll");
            if (r.body.length) throw new Error(`Idle poll: expected an empty queue, got ${r.body.subarray(0, 200).toString()}`);
          }
        });
        return { ops: SIMS * IDLE_POLLS };
      }),
    );

  // Commands are queued and their acknowledgements signed before the clock starts.
  if (OPS.has("command")) rows.push(await commandRow(server, client, devices));
  if (OPS.has("checkin")) rows.push(...(await checkinRows(server, client, devices)));
  if (OPS.has("scep")) rows.push(...(await scepRows(server, client, s.scepUrl, size, withScepserver)));
  if (OPS.has("ota")) rows.push(await otaRow(server, client, s.otaPath));
  if (OPS.has("api")) rows.push(await apiRow(server, client, s.apiKey));
  return rows;
}

// Every operation runs a short unrecorded round first: each worker compiles and loads the
// route, the queries and the crypto it needs before the clock starts.

/** Queues `perDevice` commands per device and signs their acknowledgements; the returned run delivers and acknowledges them all. */
async function prepareCommands(client: LoadClient, devices: BenchDevice[], perDevice: number, record: boolean): Promise<() => Promise<number>> {
  const acks = new Map<string, Signed>();
  for (const d of devices) {
    const uuids = await enqueueCommands(
      d.deviceId,
      Array.from({ length: perDevice }, () => ({ requestType: "ProfileList" })),
      { push: false },
    );
    for (const uuid of uuids) acks.set(uuid, await signed(d.sim, { UDID: d.sim.udid, Status: "Acknowledged", CommandUUID: uuid, ProfileList: [] }));
  }
  return async () => {
    let handled = 0;
    await client.drive(SIMS, async (c) => {
      let r = expectStatus(await client.request(put("/mdm/connect", devices[c].idle, MDM_TYPE), record, c), 200, "poll");
      while (r.body.length) {
        const uuid = /<key>CommandUUID<\/key>\s*<string>([^<]+)<\/string>/.exec(r.body.toString())?.[1] ?? "";
        const ack = acks.get(uuid);
        if (!ack) throw new Error(`unexpected command ${uuid}`);
        r = expectStatus(await client.request(put("/mdm/connect", ack, MDM_TYPE), record, c), 200, "Acknowledged");
        handled++;
      }
    });
    if (handled !== SIMS * perDevice) throw new Error(`${handled} of ${SIMS * perDevice} commands delivered`);
    return handled;
  };
}

async function commandRow(server: RunningServer, client: LoadClient, devices: BenchDevice[]): Promise<Row> {
  await (await prepareCommands(client, devices, 2, false))();
  const run = await prepareCommands(client, devices, COMMANDS, true); // queued and signed before the clock starts
  return measureOp(server, client, "Command delivered + Acknowledged", async () => ({ ops: await run() }), "2 requests per op");
}

async function checkinRows(server: RunningServer, client: LoadClient, devices: BenchDevice[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const kind of ["authenticate", "tokenUpdate"] as const) {
    const round = (count: number, record: boolean) =>
      client.drive(SIMS, async (c) => {
        for (let i = 0; i < count; i++) expectStatus(await client.request(put("/mdm/checkin", devices[c][kind], CHECKIN_TYPE), record, c), 200, kind);
      });
    await round(2, false);
    rows.push(
      await measureOp(server, client, `Signed ${kind === "authenticate" ? "Authenticate (re-enrollment)" : "TokenUpdate"}`, async () => {
        await round(CHECKINS, true);
        return { ops: SIMS * CHECKINS };
      }),
    );
  }
  return rows;
}

/** `count` GETs, HTTP_CONCURRENCY at a time, each answered 200. */
async function getRound(client: LoadClient, what: string, req: LoadRequest, count: number, record: boolean): Promise<void> {
  let next = 0;
  await client.drive(HTTP_CONCURRENCY, async (lane) => {
    while (next++ < count) expectStatus(await client.request(req, record, lane), 200, what);
  });
}

async function scepRows(server: RunningServer, client: LoadClient, scepUrl: string, size: number, withScepserver: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const keys = await scepKeys(SCEP_ENROLLMENTS + 4);
  await scepclientRuns(scepUrl, keys.slice(0, 4), path.join(workDir, `warm-${size}`));
  rows.push(
    await measureOp(
      server,
      client,
      `SCEP enrollment, scepclient (${SCEP_CONCURRENCY} at a time)`,
      () => scepclientRuns(scepUrl, keys.slice(4), path.join(workDir, `certs-${size}`)),
      "3 requests per op; latency = whole scepclient run",
    ),
  );
  if (withScepserver) {
    const row = await scepserverRow(path.join(workDir, `scepserver-${size}`));
    if (row) rows.push(row);
  }
  return rows;
}

async function otaRow(server: RunningServer, client: LoadClient, otaPath: string): Promise<Row> {
  const req: LoadRequest = { method: "GET", path: otaPath };
  await getRound(client, "profile download", req, 20, false);
  return measureOp(server, client, `OTA profile download (${HTTP_CONCURRENCY} concurrent)`, async () => {
    await getRound(client, "profile download", req, OTA_DOWNLOADS, true);
    return { ops: OTA_DOWNLOADS };
  });
}

async function apiRow(server: RunningServer, client: LoadClient, apiKey: string): Promise<Row> {
  const req: LoadRequest = { method: "GET", path: "/api/v1/devices?status=MANAGED&platform=iOS&limit=50", headers: { authorization: `Bearer ${apiKey}` } };
  await getRound(client, "devices list", req, 8, false);
  return measureOp(server, client, `Devices API list, first page, filtered (${HTTP_CONCURRENCY} concurrent)`, async () => {
    await getRound(client, "devices list", req, API_LISTS, true);
    return { ops: API_LISTS };
  });
}

/** micromdm's scepserver on this machine under the same scepclient load (with an RSA-2048 CA, like ours; its default is 4096), its CPU from /proc too. */
async function scepserverRow(dir: string): Promise<Row | null> {
  if (spawnSync("which", ["scepserver"]).status !== 0) {
    process.stdout.write("  (micromdm scepserver not installed: no comparison row)\n");
    return null;
  }
  const depot = path.join(dir, "depot");
  spawnSync("scepserver", ["ca", "-init", "-keySize", "2048", "-depot", depot], { stdio: "ignore" });
  const port = PORT + 9;
  const child = spawn("scepserver", ["-depot", depot, "-port", String(port), "-challenge", CHALLENGE, "-allowrenew", "0"], { stdio: ["ignore", "ignore", "pipe"] });
  let serverLog = "";
  child.stderr!.on("data", (b: Buffer) => (serverLog = (serverLog + b.toString()).slice(-4000)));
  const client = new LoadClient(`http://127.0.0.1:${port}`, 1);
  try {
    const url = `http://127.0.0.1:${port}/scep`;
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${url}?operation=GetCACaps`)).ok) break;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const keys = await scepKeys(SCEP_ENROLLMENTS + 4);
    await scepclientRuns(url, keys.slice(0, 4), path.join(dir, "warm"));
    const fake = { url, pid: child.pid!, stop: async () => undefined };
    return await measureOp(fake, client, `SCEP enrollment, micromdm scepserver (same load)`, () => scepclientRuns(url, keys.slice(4), path.join(dir, "certs")), "for comparison");
  } catch (err) {
    // A comparison figure, not ours to fix (its file depot now and then refuses concurrent
    // requests with badRequest): say why and go on.
    process.stdout.write(
      `  (no scepserver row: ${(err as Error).message.split("\n")[0].slice(0, 200)}; scepserver said: ${serverLog.split("\n").filter(Boolean).slice(-3).join(" | ").slice(0, 600)})\n`,
    );
    return null;
  } finally {
    client.close();
    child.kill("SIGTERM");
  }
}

/** TEST_POSTGRES_URL, or the throwaway server of scripts/pg-server.sh when PostgreSQL is installed. */
function postgresBase(): string | null {
  if (process.env.TEST_POSTGRES_URL) return process.env.TEST_POSTGRES_URL;
  if (!fs.existsSync("/usr/lib/postgresql")) return null;
  const r = spawnSync("bash", [path.join(import.meta.dirname, "../scripts/pg-server.sh"), "start"], { encoding: "utf8" });
  return /TEST_POSTGRES_URL=(\S+)/.exec(r.stdout)?.[1] ?? null;
}

async function benchDatabase(kind: BenchDb["kind"]): Promise<void> {
  const dataDir = path.join(workDir, `data-${kind}`);
  fs.mkdirSync(dataDir);
  let databaseUrl = `file:${path.join(dataDir, "enroll.db")}`;
  let drop = async (): Promise<void> => {};
  if (kind === "postgres") {
    const base = postgresBase();
    if (!base) return void process.stdout.write("\n(PostgreSQL not available: set TEST_POSTGRES_URL or install PostgreSQL)\n");
    ({ url: databaseUrl, drop } = await createPostgresDatabase(base, "enroll_bench"));
  }
  // No APNs certificate on a bench machine: the documented lab setting lets profiles be served.
  const env: Record<string, string> = { DATA_DIR: dataDir, DATABASE_URL: databaseUrl, MDM_SECRET: SECRET, PUBLIC_URL: publicUrl, LOG_LEVEL: "warn", ALLOW_ENROLL_WITHOUT_PUSH: "true" };
  if (process.env.BENCH_WORKERS) env.WORKERS = process.env.BENCH_WORKERS;
  const nodeArgs = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE, kind)}`] : [];
  process.stdout.write(`\n== ${kind}: starting the server (npm start; WORKERS=${env.WORKERS ?? "default: one per core"})\n`);
  const server = await startServer(env, { port: PORT, nodeArgs, log: (l) => /error|warn|could not|ready/i.test(l) && process.stdout.write(`  server: ${l}\n`) });
  const dbClient = createClient(databaseUrl);
  setDb(databaseUrl, dbClient);
  clearServerKeyCache(); // each database has its own CA and keys
  clearCaCache();
  const client = new LoadClient(server.url, SIMS);
  try {
    const setup = await prepare(server, client);
    let seeded = 0;
    for (const size of SIZES) {
      const t0 = performance.now();
      await seedDevices(dbClient, kind, seeded, size);
      seeded = size;
      process.stdout.write(
        `\n-- ${kind}, ${size.toLocaleString("en")} devices seeded (${((performance.now() - t0) / 1000).toFixed(1)} s); load average ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")}\n`,
      );
      const rows = await runOperations(server, client, setup, size, size === SIZES[0]);
      process.stdout.write(
        `\n${kind}, ${(await dbClient.device.count()).toLocaleString("en")} devices, server WORKERS=${env.WORKERS ?? os.availableParallelism()}, load average ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")}:\n\n${formatTable(rows)}\n`,
      );
    }
  } finally {
    client.close();
    await server.stop();
    await dbClient.$disconnect();
    await drop();
  }
}

process.stdout.write(
  `${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? "?"}), node ${process.version}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} at start\n`,
);
process.stdout.write("p50/p99 are per HTTP request (SCEP: per scepclient run); server CPU is utime+stime of the server's process tree (/proc).\n");
const kinds = (process.env.BENCH_DB ?? "sqlite,postgres").split(",") as BenchDb["kind"][];
try {
  for (const kind of kinds) await benchDatabase(kind);
} finally {
  fs.rmSync(workDir, { recursive: true, force: true });
}
process.exit(0);
