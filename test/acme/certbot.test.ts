// A second RFC 8555 client nobody here wrote: Debian's certbot (Python, ACME library of its
// own) registers, orders, answers http-01 from its standalone listener, finalizes with its
// own CSR (RSA) and downloads the certificate from our directory over HTTPS.
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setAllowedDnsDomains } from "@/lib/acme/policy";
import { clearCaCache } from "@/lib/pki/ca";
import { clearServerKeyCache } from "@/lib/secrets/serverKeys";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { serveAcmeOverHttps } from "./httpsDirectory";

// Ports of the acme helper's range (e2e uses 3360-3361, lego.test.ts 3365-3366).
const SERVER_PORT = 3368;
const HTTP01_PORT = 3367;
process.env.PUBLIC_URL = `https://localhost:${SERVER_PORT}`;
process.env.ACME_HTTP01_PORT = String(HTTP01_PORT);

const run = promisify(execFile);
let t: TestDb;
let server: RouteServer;
let dir: string;

beforeAll(async () => {
  t = await createTestDb();
  clearServerKeyCache();
  clearCaCache();
  ({ server, dir } = await serveAcmeOverHttps(SERVER_PORT, "certbot"));
  await setAllowedDnsDomains(["localhost"]);
});

afterAll(async () => {
  await server?.close();
  await t?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("certbot against our ACME directory", () => {
  it("obtains a certificate with account, order, http-01 and finalize", async () => {
    const d = (n: string) => path.join(dir, n);
    await run(
      "certbot",
      [
        "certonly",
        "--non-interactive",
        "--agree-tos",
        "-m",
        "admin@example.com",
        "--standalone",
        "--http-01-port",
        String(HTTP01_PORT),
        "--server",
        `https://localhost:${SERVER_PORT}/acme/directory`,
        "-d",
        "localhost",
        "--key-type",
        "rsa",
        "--config-dir",
        d("config"),
        "--work-dir",
        d("work"),
        "--logs-dir",
        d("logs"),
        "--no-random-sleep-on-renew",
      ],
      { env: { ...process.env, REQUESTS_CA_BUNDLE: d("tls.crt") }, timeout: 180_000 },
    ).catch((err: { stderr?: string }) => {
      const logFile = d("logs/letsencrypt.log");
      throw new Error(`certbot failed: ${err.stderr ?? ""}\n${fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-3000) : ""}`);
    });
    const live = path.join(dir, "config", "live", "localhost");
    const cert = path.join(live, "cert.pem");
    expect(fs.existsSync(cert)).toBe(true);
    const verified = execFileSync("openssl", ["verify", "-CAfile", d("ca.pem"), "-purpose", "sslserver", "-verify_hostname", "localhost", cert]).toString();
    expect(verified).toContain("OK");
    expect(execFileSync("openssl", ["x509", "-in", cert, "-noout", "-text"]).toString()).toMatch(/rsaEncryption[\s\S]*Digital Signature, Key Encipherment/);
  });
});
