// `npm start`: check the configuration, prepare the database and keys, build the web
// app when its sources changed, then serve it. Every start-up failure is one clear
// sentence and a non-zero exit, never a bare stack trace.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ConfigError, loadConfig } from "../lib/config";
import { StartupError } from "../lib/bootstrap";

const root = path.resolve(import.meta.dirname, "..");
const dev = process.argv.includes("--dev");
const buildOnly = process.argv.includes("--build-only");

function fail(message: string): never {
  process.stderr.write(`\nopen-enroll could not start: ${message}\n\n`);
  process.exit(1);
}

const SOURCES = ["app", "components", "lib", "public", "types", "proxy.ts", "instrumentation.ts", "next.config.js", "postcss.config.mjs", "tsconfig.json", "package.json", "prisma/schema.prisma"];

function sourceHash(): string {
  const h = crypto.createHash("sha256");
  const walk = (p: string) => {
    const abs = path.join(root, p);
    if (!fs.existsSync(abs)) return;
    const st = fs.statSync(abs);
    if (st.isDirectory()) {
      if (p.endsWith("generated") || p.includes("node_modules")) return;
      for (const e of fs.readdirSync(abs).sort()) walk(path.join(p, e));
    } else if (!/\.test\.tsx?$/.test(p)) {
      h.update(p).update("\0").update(fs.readFileSync(abs)).update("\0");
    }
  };
  SOURCES.forEach(walk);
  // next.config.js adds HSTS only for an https PUBLIC_URL, decided at build time.
  h.update(`public-url-https:${(process.env.PUBLIC_URL ?? "").startsWith("https://")}`);
  return h.digest("hex");
}

async function withBuildLock<T>(distDir: string, fn: () => T): Promise<T> {
  const lock = path.join(root, `${distDir}.build-lock`);
  const started = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      // Anything but "exists" (a read-only or foreign-owned app folder) will not go away by waiting.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") fail(`cannot create the build lock ${lock}: ${(err as Error).message}`);
      // Another process is building into the same folder; a lock older than 15 minutes is stale.
      const age = Date.now() - fs.statSync(lock, { throwIfNoEntry: false })!.mtimeMs;
      if (Number.isFinite(age) && age > 15 * 60_000) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() - started > 20 * 60_000) fail(`timed out waiting for another build (${lock})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

async function ensureBuild(distDir: string): Promise<void> {
  await withBuildLock(distDir, () => {
    const stamp = path.join(root, distDir, "SOURCE_HASH");
    const hash = sourceHash();
    if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === hash && fs.existsSync(path.join(root, distDir, "BUILD_ID"))) return;
    process.stdout.write("Building the web app (first start or sources changed)…\n");
    const r = spawnSync(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (r.status !== 0) fail("the web app failed to build (see the output above).");
    // Stamp the sources as they are after the build: on a new dist folder next build adds its
    // types to tsconfig.json, and a stamp from before would make the next start (another
    // server on the same folder) build again underneath the running one.
    fs.writeFileSync(stamp, sourceHash());
  });
}

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  if (buildOnly) {
    await ensureBuild(distDir);
    return;
  }

  const { prepareServer } = await import("../lib/bootstrap");
  let prepared;
  try {
    prepared = await prepareServer();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupError) fail(err.message);
    fail((err as Error).message ?? String(err));
  }
  if (prepared.secretOrigin === "generated") {
    process.stdout.write(
      `Generated MDM_SECRET and stored it in ${prepared.secretFile} (mode 0600).\nIt encrypts every private key: back it up, and set MDM_SECRET to the same value on every instance.\n`,
    );
  }
  if (prepared.applied.length) process.stdout.write(`Applied database migrations: ${prepared.applied.join(", ")}\n`);

  if (!dev) await ensureBuild(distDir);
  const { deriveKey } = await import("../lib/secrets/masterKey");
  const env = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: "1",
    DATA_DIR: cfg.dataDir,
    NEXTAUTH_URL: cfg.publicUrl,
    NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET || deriveKey("nextauth-session").toString("base64url"),
  };
  const args = [path.join(root, "scripts/serve.mjs"), ...(dev ? ["--dev"] : [])];
  Object.assign(env, { PORT: String(cfg.port), NODE_ENV: dev ? "development" : "production" });
  process.stdout.write(`open-enroll ${dev ? "(dev) " : ""}listening on port ${cfg.port}; public URL ${cfg.publicUrl} (${cfg.databaseKind})\n`);
  // `node --cpu-prof[-dir=…] --import tsx scripts/start.ts` profiles the server (and its workers) too.
  const profiling = process.execArgv.filter((a) => /^--(cpu|heap)-prof/.test(a));
  const child = spawn(process.execPath, [...profiling, ...args], { cwd: root, stdio: "inherit", env });
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

main().catch((err) => fail((err as Error).message ?? String(err)));
