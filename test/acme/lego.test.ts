// An RFC 8555 client nobody here wrote: Debian's lego registers an account, orders a
// certificate for a DNS name under an admin-allowed domain, answers http-01 from its own
// listener, finalizes with its own CSR and downloads the chain; then revokes it. Our
// server runs over HTTPS (lego trusts it through LEGO_CA_CERTIFICATES).
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setAllowedDnsDomains } from "@/lib/acme/policy";
import { db } from "@/lib/db/client";
import { clearCaCache } from "@/lib/pki/ca";
import { clearServerKeyCache } from "@/lib/secrets/serverKeys";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { serveAcmeOverHttps } from "./httpsDirectory";

// Ports of the acme helper's range: our HTTPS server, and lego's http-01 listener.
const SERVER_PORT = 3366;
const HTTP01_PORT = 3365;
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
  ({ server, dir } = await serveAcmeOverHttps(SERVER_PORT, "lego"));
});

afterAll(async () => {
  await server?.close();
  await t?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function lego(args: string[]) {
  return run(
    "lego",
    [
      "--server",
      `https://localhost:${SERVER_PORT}/acme/directory`,
      "--path",
      path.join(dir, "lego"),
      "--accept-tos",
      "--email",
      "admin@example.com",
      "--http",
      "--http.port",
      `:${HTTP01_PORT}`,
      "--domains",
      "localhost",
      ...args,
    ],
    {
      env: { ...process.env, LEGO_CA_CERTIFICATES: path.join(dir, "tls.crt") },
      timeout: 120_000,
    },
  );
}

describe("lego against our ACME directory", () => {
  it("is refused while no DNS domain is allowed (the default)", async () => {
    const err = await lego(["--key-type", "ec256", "run"]).then(
      () => null,
      (e: { stderr?: string }) => e,
    );
    expect(err).not.toBeNull();
    expect(String((err as { stderr?: string }).stderr)).toMatch(/rejectedIdentifier|no certificates for DNS names/);
  });

  it("creates an account, orders, validates http-01, finalizes, downloads and revokes", async () => {
    await setAllowedDnsDomains(["localhost"]);
    await lego(["--key-type", "ec256", "run"]);
    const crt = path.join(dir, "lego", "certificates", "localhost.crt");
    expect(fs.existsSync(crt)).toBe(true);
    // OpenSSL: our CA signed it for the name lego asked, for TLS servers.
    const verified = execFileSync("openssl", ["verify", "-CAfile", path.join(dir, "ca.pem"), "-purpose", "sslserver", "-verify_hostname", "localhost", crt]).toString();
    expect(verified).toContain("OK");
    const accounts = await db().acmeAccount.findMany();
    expect(accounts).toHaveLength(1);
    expect(JSON.parse(accounts[0].contact!)).toEqual(["mailto:admin@example.com"]);
    const order = await db().acmeOrder.findFirst({ where: { status: "valid" } });
    expect(order?.certSerial).toBeTruthy();

    await lego(["revoke"]);
    const row = await db().certificate.findUnique({ where: { serial: order!.certSerial! } });
    expect(row?.revokedAt).not.toBeNull();
  });
});
