// A server on a fresh, empty data directory, as a new install starts: only what a fresh
// machine has in its environment (no ADMIN_*, no MDM_SECRET, no DATABASE_URL, no IdP),
// plus `extraEnv`. It reuses the e2e build (same NEXT_DIST_DIR), so it starts without building.
import { spawn, type ChildProcess } from "node:child_process";
import { E2E_DIST_DIR } from "../playwright.config";

export async function startFreshServer(port: number, dataDir: string, extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const base = `http://localhost:${port}`;
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: "production",
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    DATA_DIR: dataDir,
    NEXT_DIST_DIR: E2E_DIST_DIR,
    LOG_LEVEL: "warn",
    ...extraEnv,
  };
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], { env, stdio: ["ignore", "ignore", "pipe"] });
  for (let i = 0; i < 240; i++) {
    const ok = await fetch(`${base}/api/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return child;
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("server did not become healthy");
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}
