// CI: `npm ci --omit=dev && npm start` serves check-ins. Copies the tracked tree to a temporary
// folder, installs it without devDependencies, starts it there (`npm start`: build, migrate,
// serve; SQLite), and enrolls one device over HTTP: Authenticate and TokenUpdate signed with
// an identity from the server's CA, as a device sends them. Only the client side (this
// script, the device simulator) runs from the development tree.
//
// Usage: tsx scripts/omit-dev-check.ts [--port 3321] [--prune] [--app DIR]
//   --prune    hard-link this tree's node_modules and `npm prune --omit=dev` instead of
//              `npm ci --omit=dev` (no network, no native rebuild; what CI uses)
//   --app DIR  use DIR, already installed with `npm ci --omit=dev`, as it is
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const port = Number(flag("--port") ?? 3321);
const publicUrl = `http://127.0.0.1:${port}`;
const secret = crypto.randomBytes(32).toString("base64url");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "enroll-omit-dev-"));
const dataDir = path.join(work, "data");

function step(text: string) {
  process.stdout.write(`== ${text}\n`);
}

function fail(text: string): never {
  process.stderr.write(`omit-dev-check: ${text}\n`);
  process.exit(1);
}

function install(): string {
  const given = flag("--app");
  if (given) return path.resolve(given);
  const app = path.join(work, "app");
  fs.mkdirSync(app);
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: root }).toString().split("\0").filter(Boolean);
  for (const f of files) {
    if (!fs.existsSync(path.join(root, f))) continue; // deleted in the work tree
    fs.mkdirSync(path.dirname(path.join(app, f)), { recursive: true });
    fs.copyFileSync(path.join(root, f), path.join(app, f));
  }
  if (args.includes("--prune")) {
    step("npm prune --omit=dev (hard links of this tree's node_modules)");
    execFileSync("cp", ["-al", path.join(root, "node_modules"), path.join(app, "node_modules")]);
    execFileSync("npm", ["prune", "--omit=dev", "--no-audit", "--no-fund"], { cwd: app, stdio: "inherit" });
    // Prune runs no postinstall: generate the Prisma clients as `npm ci` would.
    execFileSync(process.execPath, ["scripts/prisma-generate.mjs"], { cwd: app, stdio: "inherit" });
  } else {
    step("npm ci --omit=dev");
    execFileSync("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund"], { cwd: app, stdio: "inherit" });
  }
  return app;
}

async function waitForHealth(server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15 * 60_000; // the first start builds the app
  while (Date.now() < deadline) {
    if (server.exitCode !== null) fail(`npm start exited with ${server.exitCode}`);
    try {
      const res = await fetch(`${publicUrl}/api/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  fail("the server did not answer /api/health within 15 minutes");
}

async function checkIn(): Promise<void> {
  // The client reads the server's database (SQLite in DATA_DIR) for the CA, as a device's
  // enrollment would have given it an identity.
  Object.assign(process.env, { DATA_DIR: dataDir, MDM_SECRET: secret, PUBLIC_URL: publicUrl, LOG_LEVEL: "error" });
  delete process.env.DATABASE_URL;
  const { loadConfig } = await import("../lib/config");
  const { createClient, db, setDb } = await import("../lib/db/client");
  const { issueCertificate } = await import("../lib/pki/certificates");
  const { generateRsaKeyPair, publicKeyInfoFromPem } = await import("../lib/pki/keys");
  const { currentMdmTopic } = await import("../lib/settings/mdmEndpoints");
  const { buildPlist } = await import("../lib/plist/plist");
  const { SimDevice } = await import("../test/sim/device");
  const { databaseUrl } = loadConfig();
  setDb(databaseUrl, createClient(databaseUrl));
  const udid = `00008130-${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
  const keys = await generateRsaKeyPair(2048);
  const { der } = await issueCertificate({ publicKeyInfo: publicKeyInfoFromPem(keys.publicPem), subject: `CN=${udid}`, validityDays: 30, keyUsage: 5 });
  const sim = new SimDevice({ udid, topic: await currentMdmTopic() });
  await sim.useIdentity({ certDer: der, privateKeyPem: keys.privatePem });
  for (const [name, message] of [
    ["Authenticate", sim.authenticateMessage()],
    ["TokenUpdate", sim.tokenUpdateMessage()],
  ] as const) {
    const body = new TextEncoder().encode(buildPlist(message));
    const res = await fetch(`${publicUrl}/mdm/checkin`, { method: "PUT", headers: { "content-type": "application/x-apple-aspen-mdm-checkin", "mdm-signature": await sim.sign(body) }, body });
    if (res.status !== 200) fail(`${name} got HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    step(`${name}: HTTP 200`);
  }
  const device = await db().device.findFirst({ where: { udid } });
  if (device?.status !== "ENROLLED") fail(`the device is ${device ? device.status : "missing"} after TokenUpdate, not ENROLLED`);
  step(`device ${udid} ENROLLED`);
}

async function main(): Promise<void> {
  const app = install();
  step(`npm start in ${app} on port ${port}`);
  const env = {
    NODE_ENV: "production" as const,
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? os.tmpdir(),
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    DATA_DIR: dataDir,
    MDM_SECRET: secret,
    WORKERS: "1",
    ALLOW_ENROLL_WITHOUT_PUSH: "true",
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
    CI: "1",
  };
  const server = spawn("npm", ["start"], { cwd: app, env, stdio: ["ignore", "inherit", "inherit"], detached: true });
  try {
    await waitForHealth(server);
    await checkIn();
    step("npm ci --omit=dev && npm start serves check-ins");
  } finally {
    if (server.pid && server.exitCode === null) process.kill(-server.pid, "SIGTERM");
  }
  fs.rmSync(work, { recursive: true, force: true }); // the copy (unless --app) and the data directory
  process.exit(0);
}

main().catch((err) => fail((err as Error).stack ?? String(err)));
