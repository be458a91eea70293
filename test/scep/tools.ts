// Shared plumbing for the SCEP integration tests: a server with the real routes, async
// external tools (never spawnSync: the server runs in this process), openssl helpers.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";

const execFileAsync = promisify(execFile);

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function tool(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<ToolResult> {
  try {
    const child = execFileAsync(cmd, args, { encoding: "utf8", timeout: 90_000, cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 16 * 1024 * 1024 });
    if (opts.input !== undefined) child.child.stdin?.end(opts.input);
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

export async function startScepServer(): Promise<RouteServer> {
  return serveRouteImports({
    "/scep/[id]": import("@/app/scep/[id]/route"),
    "/ndes/[id]": import("@/app/ndes/[id]/route"),
    "/ca": import("@/app/ca/route"),
    "/ca.pem": import("@/app/ca.pem/route"),
  });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Subject in DER order, e.g. "/CN=x/O=y". */
export async function opensslSubject(certPath: string): Promise<string> {
  const r = await tool("openssl", ["x509", "-noout", "-subject", "-nameopt", "compat", "-in", certPath]);
  return r.stdout.trim().replace(/^subject=/, "");
}

export async function opensslText(certPath: string): Promise<string> {
  return (await tool("openssl", ["x509", "-noout", "-text", "-in", certPath])).stdout;
}

export async function opensslDates(certPath: string): Promise<{ notBefore: Date; notAfter: Date }> {
  const out = (await tool("openssl", ["x509", "-noout", "-startdate", "-enddate", "-in", certPath])).stdout;
  const nb = /notBefore=(.+)/.exec(out)![1];
  const na = /notAfter=(.+)/.exec(out)![1];
  return { notBefore: new Date(nb), notAfter: new Date(na) };
}
