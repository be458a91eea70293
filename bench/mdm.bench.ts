// The MDM command endpoint under load: N simulated devices poll PUT /mdm/connect over real
// HTTP (the shipped route handlers), every request CMS-signed with the device's identity
// certificate and verified by the server. Two phases per database size:
//   idle   — Idle polls against an empty queue (what every push or periodic check costs);
//   queue  — command delivered, Acknowledged with a result, next command delivered.
// The database holds 10k and 100k devices (each with command history, so the "next command"
// query runs against a realistic table), seeded with bulk inserts. SQLite always;
// PostgreSQL as well when TEST_POSTGRES_URL is set. Prints requests/s and p50/p99 latency.
// Run: npx tsx bench/mdm.bench.ts [sizes=10000,100000] [devices=40]
import os from "node:os";
import { benchEnv, openBenchDb, percentile, type BenchDb } from "./helpers";

const SIZES = (process.argv[2] ?? process.env.BENCH_MDM_SIZES ?? "10000,100000").split(",").map(Number);
const SIMS = Number(process.argv[3] ?? process.env.BENCH_MDM_DEVICES ?? 40);
const IDLE_POLLS = 15; // per simulated device
const COMMANDS = 8; // per simulated device
const HISTORY = 2; // finished commands per seeded device

const env = benchEnv("mdm");

const { issueCertificate } = await import("../lib/pki/certificates");
const { generateRsaKeyPair, publicKeyInfoFromPem, importSigningKey } = await import("../lib/pki/keys");
const { signData } = await import("../lib/pki/cms");
const { buildPlist } = await import("../lib/plist/plist");
const { enqueueCommands } = await import("../lib/mdm/commands");
const { clearCaCache } = await import("../lib/pki/ca");
const { clearServerKeyCache } = await import("../lib/secrets/serverKeys");
const { serveRouteImports } = await import("../test/helpers/routeServer");

type Client = BenchDb["client"];

const udidOf = (i: number) => `00008120-${i.toString(16).padStart(16, "0").toUpperCase()}`; // same format as the SQL seed

/**
 * Bulk seeding in the database itself (one INSERT … SELECT per table over a generated
 * series), so 100k devices and their history take seconds, not minutes.
 */
async function seed(client: Client, kind: string, count: number): Promise<void> {
  const t0 = performance.now();
  if (kind === "postgres") {
    await client.$executeRawUnsafe(`
      INSERT INTO "Device" ("id","identifier","udid","serialNumber","status","enrollmentType","platform","pushToken","pushMagic","topic","enrolledAt","createdAt","updatedAt")
      SELECT 'dev' || i, '00008120-' || lpad(upper(to_hex(i)), 16, '0'), '00008120-' || lpad(upper(to_hex(i)), 16, '0'), 'F' || lpad(i::text, 10, '0'),
             'MANAGED'::"DeviceStatus", 'OTA'::"EnrollmentType", 'iOS', repeat('00', 32), 'magic-' || i, 'com.apple.mgmt.External.bench', now(), now(), now()
      FROM generate_series(0, ${count - 1}) AS i`);
    await client.$executeRawUnsafe(`
      INSERT INTO "Command" ("id","uuid","deviceId","requestType","payload","status","createdAt","completedAt")
      SELECT 'hist' || i || '-' || h, 'hist-' || i || '-' || h, 'dev' || i, 'ProfileList', '<plist/>', 'ACKNOWLEDGED'::"CommandStatus", now() - interval '1 hour', now() - interval '50 minutes'
      FROM generate_series(0, ${count - 1}) AS i, generate_series(0, ${HISTORY - 1}) AS h`);
    await client.$executeRawUnsafe(`ANALYZE "Device"; `);
    await client.$executeRawUnsafe(`ANALYZE "Command"; `);
  } else {
    const ts = `strftime('%Y-%m-%dT%H:%M:%f+00:00','now')`;
    await client.$executeRawUnsafe(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${count - 1})
      INSERT INTO "Device" ("id","identifier","udid","serialNumber","status","enrollmentType","platform","pushToken","pushMagic","topic","enrolledAt","createdAt","updatedAt")
      SELECT 'dev' || i, printf('00008120-%016X', i), printf('00008120-%016X', i), printf('F%010d', i), 'MANAGED', 'OTA', 'iOS', printf('%064d', 0), 'magic-' || i, 'com.apple.mgmt.External.bench', ${ts}, ${ts}, ${ts} FROM n`);
    await client.$executeRawUnsafe(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${count - 1}), h(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM h WHERE j < ${HISTORY - 1})
      INSERT INTO "Command" ("id","uuid","deviceId","requestType","payload","status","createdAt","completedAt")
      SELECT 'hist' || i || '-' || j, 'hist-' || i || '-' || j, 'dev' || i, 'ProfileList', '<plist/>', 'ACKNOWLEDGED', strftime('%Y-%m-%dT%H:%M:%f+00:00','now','-1 hour'), strftime('%Y-%m-%dT%H:%M:%f+00:00','now','-50 minutes') FROM n, h`);
    await client.$executeRawUnsafe(`ANALYZE`);
  }
  const devices = await client.device.count();
  const commands = await client.command.count();
  console.log(`  seeded ${devices} devices and ${commands} finished commands in ${((performance.now() - t0) / 1000).toFixed(1)} s (bulk INSERT … SELECT)`);
}

interface Sim {
  udid: string;
  deviceId: string;
  certDer: Uint8Array;
  idleBody: Uint8Array;
  idleSig: string;
  acks: Map<string, { body: Uint8Array; sig: string }>;
}

function signer(certDer: Uint8Array) {
  return async (body: Uint8Array) => Buffer.from(await signData(body, { certDer, chainDer: [], privateKey: benchKey }, { detached: true })).toString("base64");
}

/** Queues commands and signs the acknowledgements in advance. */
async function queueCommands(sims: Sim[], count: number): Promise<void> {
  for (const sim of sims) {
    const sign = signer(sim.certDer);
    const uuids = await enqueueCommands(sim.deviceId, Array.from({ length: count }, () => ({ requestType: "ProfileList" })), { push: false });
    for (const uuid of uuids) {
      const body = new TextEncoder().encode(buildPlist({ UDID: sim.udid, Status: "Acknowledged", CommandUUID: uuid, ProfileList: [] }));
      sim.acks.set(uuid, { body, sig: await sign(body) });
    }
  }
}

function report(label: string, latencies: number[], wallMs: number): void {
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `  ${label.padEnd(34)} ${String(latencies.length).padStart(6)} req  ${(latencies.length / (wallMs / 1000)).toFixed(0).padStart(6)} req/s   p50 ${percentile(sorted, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(sorted, 99).toFixed(1).padStart(6)} ms`,
  );
}

async function put(url: string, body: Uint8Array, sig: string): Promise<{ status: number; text: string; ms: number }> {
  const s = performance.now();
  const res = await fetch(url, { method: "PUT", headers: { "content-type": "application/x-apple-aspen-mdm", "mdm-signature": sig }, body: Buffer.from(body) });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - s };
}

async function run(kind: BenchDb["kind"], count: number): Promise<void> {
  console.log(`\n${kind}, ${count.toLocaleString("en")} devices in the database, ${SIMS} simulated devices polling concurrently`);
  // Each run has its own database, so the CA and server keys are new too.
  clearServerKeyCache();
  clearCaCache();
  const database = await openBenchDb("mdm", kind);
  try {
    await measureRun(database.client, kind, count);
  } finally {
    await database.close();
  }
}

async function measureRun(client: Client, kind: string, count: number): Promise<void> {
  await seed(client, kind, count);
  const sims = await prepareSims(client, count);
  const server = await serveRouteImports({
    "/mdm/checkin": import("../app/mdm/checkin/route"),
    "/mdm/connect": import("../app/mdm/connect/route"),
  });
  const endpoint = `${server.url}/mdm/connect`;
  try {
    // Warm-up: connections, caches, JIT.
    await Promise.all(sims.map((s) => put(endpoint, s.idleBody, s.idleSig)));

    const idle: number[] = [];
    let t0 = performance.now();
    await Promise.all(
      sims.map(async (s) => {
        for (let i = 0; i < IDLE_POLLS; i++) {
          const r = await put(endpoint, s.idleBody, s.idleSig);
          if (r.status !== 200) throw new Error(`idle poll answered ${r.status}: ${r.text}`);
          idle.push(r.ms);
        }
      }),
    );
    report("idle poll (empty queue)", idle, performance.now() - t0);

    // Acknowledgements are signed before the clock starts: the figures are the server's.
    await queueCommands(sims, COMMANDS);
    const cycle: number[] = [];
    t0 = performance.now();
    await Promise.all(
      sims.map(async (s) => {
        let r = await put(endpoint, s.idleBody, s.idleSig);
        cycle.push(r.ms);
        let handled = 0;
        while (r.status === 200 && r.text.length > 0) {
          const uuid = /<key>CommandUUID<\/key>\s*<string>([^<]+)<\/string>/.exec(r.text)?.[1] ?? "";
          const ack = s.acks.get(uuid);
          if (!ack) throw new Error(`unexpected command ${uuid}`);
          r = await put(endpoint, ack.body, ack.sig);
          cycle.push(r.ms);
          handled++;
        }
        if (r.status !== 200 || handled !== COMMANDS) throw new Error(`queue phase: status ${r.status}, ${handled} commands`);
      }),
    );
    report("command + acknowledgement", cycle, performance.now() - t0);
    const live = await client.command.count({ where: { status: { in: ["QUEUED", "SENT", "NOT_NOW"] } } });
    console.log(`  live queue after the run: ${live} rows; finished history: ${await client.command.count()} rows`);
  } finally {
    await server.close();
  }
}

// One key pair for every simulated device (each gets its own certificate, so fingerprints
// differ by serial); signing uses it before the clock starts.
const benchKeys = await generateRsaKeyPair(2048);
const benchKey = await importSigningKey(benchKeys.privatePem);

async function prepareSims(client: Client, count: number): Promise<Sim[]> {
  const sims: Sim[] = [];
  for (let s = 0; s < SIMS; s++) {
    const j = Math.floor((s * count) / SIMS);
    const udid = udidOf(j);
    const { serial, der } = await issueCertificate({ publicKeyInfo: publicKeyInfoFromPem(benchKeys.publicPem), subject: `CN=${udid}`, validityDays: 30, keyUsage: 5 });
    await client.certificate.update({ where: { serial }, data: { deviceId: `dev${j}` } });
    await client.device.update({ where: { id: `dev${j}` }, data: { certSerial: serial } });
    const sign = signer(der);
    const idleBody = new TextEncoder().encode(buildPlist({ UDID: udid, Status: "Idle" }));
    sims.push({ udid, deviceId: `dev${j}`, certDer: der, idleBody, idleSig: await sign(idleBody), acks: new Map() });
  }
  return sims;
}

// The figures include the client side (same process) and whatever else the machine runs.
console.log(`${os.cpus().length} CPU(s), load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} at start`);

const kinds: BenchDb["kind"][] = ["sqlite"];
if (process.env.TEST_POSTGRES_URL) kinds.push("postgres");
else console.log("(PostgreSQL skipped: set TEST_POSTGRES_URL, e.g. from scripts/pg-server.sh start)");

for (const kind of kinds) {
  for (const size of SIZES) await run(kind, size);
}
console.log(`\nload average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} at the end`);
env.cleanup();
