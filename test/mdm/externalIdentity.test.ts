// Done-when (issue 14): a device stand-in enrolls over OTA with its MDM identity issued by
// micromdm's scepserver (an external SCEP profile, its CA pinned), checks in and ends MANAGED;
// a certificate from a CA that is not pinned is refused at check-in; revocation still works.
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEnrollmentToken, getEnrollmentToken } from "@/lib/enrollment/tokens";
import { createGroup } from "@/lib/mdm/groups";
import { addPolicy } from "@/lib/mdm/policies";
import { config } from "@/lib/config";
import { createExternalScepProfile } from "@/lib/scep/external/profiles";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { SimDevice, type ScepEnrollFn } from "@/test/sim/device";
import { tempDir, tool } from "@/test/scep/tools";
import { serveOtaEnrollment } from "./helpers";

const SCEPSERVER = "/usr/bin/scepserver";
const SCEPCLIENT = "/usr/bin/scepclient";

/** The device's SCEP client is Debian's scepclient (micromdm), not ours: it talks to scepserver as a device would. */
function scepclientEnroll(overrideUrl?: string): ScepEnrollFn {
  return async (req) => {
    const dir = tempDir("extid-client-");
    const cn = /CN=([^,]+)/.exec(req.subject)?.[1] ?? "device";
    const org = /O=([^,]+)/.exec(req.subject)?.[1] ?? "";
    const args = ["-server-url", overrideUrl ?? req.url, "-private-key", path.join(dir, "key.pem"), "-certificate", path.join(dir, "cert.pem"), "-cn", cn, "-organization", org, "-keySize", String(req.keySize ?? 2048)];
    if (req.challenge) args.push("-challenge", req.challenge);
    const r = await tool(SCEPCLIENT, args, { cwd: dir });
    if (r.code !== 0) throw new Error(`scepclient failed: ${r.stderr}`);
    const certPem = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
    const b64 = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(certPem)![1].replace(/\s+/g, "");
    const keyPem = crypto.createPrivateKey(fs.readFileSync(path.join(dir, "key.pem"))).export({ type: "pkcs8", format: "pem" }).toString();
    return { certDer: new Uint8Array(Buffer.from(b64, "base64")), privateKeyPem: keyPem };
  };
}
const CHALLENGE = "micromdm-static-challenge";

async function startScepserver(): Promise<{ url: string; depot: string; child: ChildProcess }> {
  const depot = path.join(tempDir("extid-"), "depot");
  const init = await tool(SCEPSERVER, ["ca", "-init", "-depot", depot]);
  if (init.code !== 0) throw new Error(init.stderr);
  const port = 20000 + crypto.randomInt(20000);
  const child = spawn(SCEPSERVER, ["-depot", depot, "-port", String(port), "-challenge", CHALLENGE], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}/scep`;
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${url}?operation=GetCACaps`).then((r) => r.ok).catch(() => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, depot, child };
}

async function opensslSha256(pem: string): Promise<string> {
  const out = (await tool("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", pem])).stdout;
  return /=([0-9A-F:]+)/.exec(out)![1];
}

describe.skipIf(!fs.existsSync(SCEPSERVER) || !fs.existsSync(SCEPCLIENT))("MDM identity from an external CA (micromdm scepserver)", () => {
  let t: TestDb;
  let server: RouteServer;
  let pinned: Awaited<ReturnType<typeof startScepserver>>;
  let unpinned: Awaited<ReturnType<typeof startScepserver>>;
  let enrollUrl: string;
  let tokenId: string;
  let group: { id: string };

  beforeAll(async () => {
    t = await createTestDb();
    server = await serveOtaEnrollment();
    pinned = await startScepserver();
    unpinned = await startScepserver();
    const { profile } = await createExternalScepProfile({
      name: "micromdm",
      scepUrl: pinned.url,
      caFingerprint: await opensslSha256(path.join(pinned.depot, "ca.pem")),
      challengeSource: "STATIC",
      staticChallenge: CHALLENGE,
      subjectTemplate: "CN=$UDID,O=External",
    });
    // MANAGED = the first command acknowledged: the group queues one.
    group = await createGroup({ name: "External identities" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "DeviceInformation" });
    const token = await createEnrollmentToken({ name: "External identity", expiresIn: "7d", groupId: group.id, externalScepProfileId: profile.id, maxUses: 10 });
    enrollUrl = token.url;
    tokenId = token.id;
    expect(await getEnrollmentToken(token.id)).toMatchObject({ externalScepProfileId: profile.id, scepProfileId: null, scepProfileName: "micromdm (external CA)" });
  });
  afterAll(async () => {
    pinned?.child.kill("SIGTERM");
    unpinned?.child.kill("SIGTERM");
    await server?.close();
    await t?.close();
  });

  it("enrolls over OTA with a scepserver certificate and ends MANAGED; serial and expiry recorded", async () => {
    const publicUrl = config().publicUrl;
    const sim = new SimDevice({ rewriteUrl: (u) => u.replace(publicUrl, server.url), scepEnroll: scepclientEnroll() });
    await sim.enrollOta(enrollUrl);
    const device = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid }, include: { certificates: true } });
    expect(device).toMatchObject({ status: "MANAGED", tokenId, groupId: group.id });
    expect(device.certificates).toHaveLength(1);
    const cert = device.certificates[0];
    expect(cert.externalProfileId).not.toBeNull();
    expect(device.certSerial).toBe(cert.serial);
    // The certificate really is scepserver's: OpenSSL verifies it against the depot's CA.
    const dir = tempDir("extid-cert-");
    const certPem = path.join(dir, "cert.pem");
    fs.writeFileSync(certPem, `-----BEGIN CERTIFICATE-----\n${Buffer.from(cert.der).toString("base64")}\n-----END CERTIFICATE-----\n`);
    expect((await tool("openssl", ["verify", "-CAfile", path.join(pinned.depot, "ca.pem"), certPem])).code).toBe(0);
    const serialHex = (await tool("openssl", ["x509", "-noout", "-serial", "-in", certPem])).stdout.trim().replace(/^serial=/, "").toLowerCase().replace(/^0+(?=.)/, "");
    expect(cert.serial).toBe(serialHex);
    const notAfter = new Date((await tool("openssl", ["x509", "-noout", "-enddate", "-in", certPem])).stdout.trim().replace(/^notAfter=/, ""));
    expect(cert.notAfter.getTime()).toBe(notAfter.getTime());
    const logs = await t.client.enrollmentLog.findMany({ where: { step: "checkin", message: { contains: "recorded at its first signed check-in" } } });
    expect(logs.length).toBe(1);

    // Revocation works as for our own certificates: the next check-in is refused.
    await t.client.certificate.update({ where: { serial: cert.serial }, data: { revokedAt: new Date(), revocationReason: "test" } });
    expect((await sim.authenticate()).status).toBe(401);
  });

  it("refuses a CA pinned only for certificate policies (no token uses it for the identity)", async () => {
    const { profile } = await createExternalScepProfile({ name: "policy-only", scepUrl: unpinned.url, caFingerprint: await opensslSha256(path.join(unpinned.depot, "ca.pem")), challengeSource: "STATIC", staticChallenge: CHALLENGE });
    const publicUrl = config().publicUrl;
    const sim = new SimDevice({ rewriteUrl: (u) => u.replace(publicUrl, server.url), scepEnroll: scepclientEnroll(unpinned.url) });
    await expect(sim.enrollOta(enrollUrl)).rejects.toThrow(/Authenticate answered 401/);
    await t.client.externalScepProfile.delete({ where: { id: profile.id } });
  });

  it("refuses at check-in a certificate from a CA that is not pinned", async () => {
    const publicUrl = config().publicUrl;
    // The device gets its certificate from the other scepserver (same challenge, not pinned).
    const sim = new SimDevice({
      rewriteUrl: (u) => u.replace(publicUrl, server.url),
      scepEnroll: scepclientEnroll(unpinned.url),
    });
    await expect(sim.enrollOta(enrollUrl)).rejects.toThrow(/Authenticate answered 401/);
    expect(await t.client.device.findUnique({ where: { identifier: sim.udid } })).toBeNull();
    const refused = await t.client.enrollmentLog.findMany({ where: { reason: "checkin_unauthenticated" } });
    expect(refused.some((l) => /pinned external CA/.test(l.message))).toBe(true);
  });
});
