// Starts the real server for the bench exactly as `npm start` does (scripts/start.ts: checks,
// migrations, keys, build when sources changed, then serve.mjs and its workers) and stops it.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export interface RunningServer {
  url: string;
  /** The start.ts process: the server's CPU and memory are those of its process tree. */
  pid: number;
  stop(): Promise<void>;
  /** SIGKILL to start.ts, serve.mjs and every worker at once (a power cut; only with `detached`). */
  killAll?(): Promise<void>;
}

const root = path.resolve(import.meta.dirname, "..");

/**
 * nodeArgs: e.g. --cpu-prof flags, which start.ts hands on to the server and its workers.
 * detached: the server gets its own process group, so killAll() reaches every process of it.
 */
export async function startServer(env: Record<string, string>, opts: { port: number; nodeArgs?: string[]; log?: (line: string) => void; detached?: boolean }): Promise<RunningServer> {
  const url = `http://127.0.0.1:${opts.port}`;
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), "--import", "tsx", path.join(root, "scripts/start.ts")], {
    cwd: root,
    env: { ...process.env, NODE_ENV: "production", PORT: String(opts.port), HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: opts.detached ?? false,
  });
  let output = "";
  const collect = (b: Buffer) => {
    output += b.toString();
    for (const line of b.toString().split("\n")) if (line.trim()) opts.log?.(line);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  let exited: number | null = null;
  child.on("exit", (code) => (exited = code ?? -1));
  // A first start may build the app (minutes on a busy machine).
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    if (exited !== null) throw new Error(`the server exited with ${exited}:\n${output.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`the server did not answer /api/health in time:\n${output.slice(-2000)}`);
    try {
      // "ready on port" after the health answer: every worker listens, not only the first.
      if ((await fetch(`${url}/api/health`)).ok && /ready on port/.test(output)) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== null) return resolve();
        child.on("exit", () => resolve());
        child.kill("SIGTERM");
      }),
    killAll: () =>
      new Promise<void>((resolve, reject) => {
        if (!opts.detached) return reject(new Error("killAll needs a server started with detached: true"));
        if (exited !== null) return resolve();
        child.on("exit", () => resolve());
        process.kill(-child.pid!, "SIGKILL");
      }),
  };
}
