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
import { serveOtaEnrollment, simDevice } from "./helpers";
import { createApiKey } from "@/lib/auth/apiKeys";
import { putUser } from "@/lib/enrollment/users";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { verifySignedData } from "@/lib/pki/cms";
import { parsePlistStrict, type PlistDict } from "@/lib/plist/plist";
import { serveRouteImports } from "@/test/helpers/routeServer";
import { bearerFetch } from "@/test/helpers/adminApi";
import { addeRoutes, discover, ENROLL_BODY, enrollPost, form, tokenFromResultLocation } from "@/test/adde/deviceClient";
import { createRoute } from "@/lib/enrollment/routes";

const SCEPSERVER = "/usr/bin/scepserver";
const SCEPCLIENT = "/usr/bin/scepclient";

/** The device's SCEP client is Debian's scepclient (micromdm), not ours: it talks to scepserver as a device would. */
function scepclientEnroll(overrideUrl?: string): ScepEnrollFn {
  return async (req) => {
    const dir = tempDir("extid-client-");
    const cn = /CN=([^,]+)/.exec(req.subject)?.[1] ?? "device";
    const org = /O=([^,]+)/.exec(req.subject)?.[1] ?? "";
    const args = [
      "-server-url",
      overrideUrl ?? req.url,
      "-private-key",
      path.join(dir, "key.pem"),
      "-certificate",
      path.join(dir, "cert.pem"),
      "-cn",
      cn,
      "-organization",
      org,
      "-keySize",
      String(req.keySize ?? 2048),
    ];
    if (req.challenge) args.push("-challenge", req.challenge);
    const r = await tool(SCEPCLIENT, args, { cwd: dir });
    if (r.code !== 0) throw new Error(`scepclient failed: ${r.stderr}`);
    const certPem = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
    const b64 = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(certPem)![1].replace(/\s+/g, "");
    const keyPem = crypto
      .createPrivateKey(fs.readFileSync(path.join(dir, "key.pem")))
      .export({ type: "pkcs8", format: "pem" })
      .toString();
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
    if (
      await fetch(`${url}?operation=GetCACaps`)
        .then((r) => r.ok)
        .catch(() => false)
    )
      break;
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
    expect(await getEnrollmentToken(token.id, { withLinks: true })).toMatchObject({ externalScepProfileId: profile.id, scepProfileId: null, scepProfileName: "micromdm (external CA)" });
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
    const serialHex = (await tool("openssl", ["x509", "-noout", "-serial", "-in", certPem])).stdout
      .trim()
      .replace(/^serial=/, "")
      .toLowerCase()
      .replace(/^0+(?=.)/, "");
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
    const { profile } = await createExternalScepProfile({
      name: "policy-only",
      scepUrl: unpinned.url,
      caFingerprint: await opensslSha256(path.join(unpinned.depot, "ca.pem")),
      challengeSource: "STATIC",
      staticChallenge: CHALLENGE,
    });
    const publicUrl = config().publicUrl;
    const sim = new SimDevice({ rewriteUrl: (u) => u.replace(publicUrl, server.url), scepEnroll: scepclientEnroll(unpinned.url) });
    await expect(sim.enrollOta(enrollUrl)).rejects.toThrow(/Authenticate answered 401/);
    await t.client.externalScepProfile.delete({ where: { id: profile.id } });
  });

  it("account-driven (ADDE): a routing rule takes the MDM identity from scepserver; the check-in is accepted and ends MANAGED", async () => {
    const pem = await opensslSha256(path.join(pinned.depot, "ca.pem"));
    const { profile } = await createExternalScepProfile({
      name: "micromdm for accounts",
      scepUrl: pinned.url,
      caFingerprint: pem,
      challengeSource: "STATIC",
      staticChallenge: CHALLENGE,
      subjectTemplate: "CN=$EMAIL,O=Accounts",
    });
    const adde = await serveRouteImports({ ...addeRoutes(), "/mdm/checkin": import("@/app/mdm/checkin/route"), "/mdm/connect": import("@/app/mdm/connect/route") });
    try {
      const adminKey = (await createApiKey("extca-adde", "ADMIN")).key;
      const accountGroup = await createGroup({ name: "Account devices, external CA" });
      await addPolicy(accountGroup.id, { kind: "COMMAND", requestType: "DeviceInformation" });
      // The rule is set through the admin API, as an integration would.
      const created = await bearerFetch(adde)("/api/v1/adde/routes", adminKey, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ domain: "extca.example", version: "mdm-adde", groupId: accountGroup.id, externalScepProfileId: profile.id }),
      });
      expect(created.status).toBe(201);
      const route = (await created.json()) as { id: string; externalScepProfileId: string };
      expect(route).toMatchObject({ externalScepProfileId: profile.id });
      const unknown = await bearerFetch(adde)("/api/v1/adde/routes", adminKey, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ domain: "other.example", version: "mdm-adde", externalScepProfileId: "nope" }),
      });
      expect(unknown.status).toBe(400);
      await putUser("ann@extca.example", { password: "ann-password-1", managedAppleId: "ann@appleid.extca.example" });

      // The device's side: discovery, sign-in, enroll request with the access token.
      const doc = (await (await discover(adde, "ann@extca.example", "iPhone")).json()) as { Servers: { Version: string; BaseURL: string }[] };
      expect(doc.Servers[0].Version).toBe("mdm-adde");
      const signIn = await fetch(`${adde.url}/authenticate/local`, form({ identifier: "ann@extca.example", mode: "adde", password: "ann-password-1" }));
      const token = tokenFromResultLocation(signIn.headers.get("location"));
      const res = await enrollPost(adde, doc.Servers[0].BaseURL, { token });
      expect(res.status).toBe(200);
      const top = parsePlistStrict((await verifySignedData(new Uint8Array(await res.arrayBuffer()))).content) as PlistDict;
      const payloads = top.PayloadContent as PlistDict[];
      const scep = payloads.find((p) => p.PayloadType === "com.apple.security.scep")!.PayloadContent as PlistDict;
      const mdmPayload = payloads.find((p) => p.PayloadType === "com.apple.mdm")!;
      // The payload points at scepserver, pinned by its CA's SHA-1 (OpenSSL's fingerprint), with its challenge.
      expect(scep.URL).toBe(pinned.url);
      expect(scep.Challenge).toBe(CHALLENGE);
      expect(scep.Subject).toEqual([[["CN", "ann@extca.example"]], [["O", "Accounts"]]]);
      const sha1 = /=([0-9A-F:]+)/.exec((await tool("openssl", ["x509", "-noout", "-fingerprint", "-sha1", "-in", path.join(pinned.depot, "ca.pem")])).stdout)![1].replace(/:/g, "");
      expect(
        Buffer.from(scep.CAFingerprint as Uint8Array)
          .toString("hex")
          .toUpperCase(),
      ).toBe(sha1);
      expect(mdmPayload.IdentityCertificateUUID).toBe(payloads.find((p) => p.PayloadType === "com.apple.security.scep")!.PayloadUUID);

      // Debian's scepclient gets the identity from scepserver; the device checks in with it and the access token.
      // Only the rule makes this CA trusted now: the OTA token of the other tests lets go of it.
      await t.client.enrollmentToken.update({ where: { id: tokenId }, data: { externalScepProfileId: null } });
      const issued = await scepclientEnroll()({ url: String(scep.URL), challenge: String(scep.Challenge), subject: "CN=ann@extca.example,O=Accounts" });
      const toLocal = (u: string) => `${adde.url}${new URL(u).pathname}${new URL(u).search}`;
      const device = await simDevice(adde, await currentMdmTopic(), issued, {
        mode: "device",
        bearer: () => token,
        checkInUrl: toLocal(String(mdmPayload.CheckInURL)),
        serverUrl: toLocal(String(mdmPayload.ServerURL)),
      });
      await device.enrollMdm();
      const row = await t.client.device.findUniqueOrThrow({ where: { identifier: device.udid }, include: { certificates: true } });
      expect(row).toMatchObject({ status: "MANAGED", enrollmentType: "DEVICE_ENROLLMENT", groupId: accountGroup.id });
      expect(row.certificates).toHaveLength(1);
      expect(row.certificates[0].externalProfileId).toBe(profile.id);
      // The signed enrollment reference tied the certificate to the user who signed in.
      const ann = await t.client.user.findUniqueOrThrow({ where: { identifier: "ann@extca.example" } });
      expect(row.certificates[0].userId).toBe(ann.id);
      expect(row.userId).toBe(ann.id);
      const fetched = await t.client.enrollmentLog.findMany({ where: { step: "adde.profile", userIdentifier: "ann@extca.example", outcome: "OK" } });
      expect(fetched.length).toBe(1);

      // Without a rule (or token) using the CA, its certificates are no longer trusted at check-in.
      expect((await bearerFetch(adde)(`/api/v1/adde/routes/${route.id}`, adminKey, { method: "DELETE" })).status).toBe(204);
      expect((await device.tokenUpdate()).status).toBe(401);
    } finally {
      await t.client.enrollmentToken.update({ where: { id: tokenId }, data: { externalScepProfileId: (await t.client.externalScepProfile.findUniqueOrThrow({ where: { name: "micromdm" } })).id } });
      await adde.close();
    }
  });

  it("account-driven Mac: the device channel (no access token) is tied to the user through the signed reference", async () => {
    const { profile } = await createExternalScepProfile({
      name: "micromdm for Macs",
      scepUrl: pinned.url,
      caFingerprint: await opensslSha256(path.join(pinned.depot, "ca.pem")),
      challengeSource: "STATIC",
      staticChallenge: CHALLENGE,
      subjectTemplate: "CN=$EMAIL",
    });
    const adde = await serveRouteImports({ ...addeRoutes(), "/mdm/checkin": import("@/app/mdm/checkin/route"), "/mdm/connect": import("@/app/mdm/connect/route") });
    try {
      const macs = await createGroup({ name: "Macs, external CA" });
      await addPolicy(macs.id, { kind: "COMMAND", requestType: "DeviceInformation" });
      await createRoute({ domain: "mac-extca.example", modelFamily: "Mac", version: "mdm-adde", groupId: macs.id, externalScepProfileId: profile.id });
      await putUser("max@mac-extca.example", { password: "max-password-1" });
      const signIn = await fetch(`${adde.url}/authenticate/local`, form({ identifier: "max@mac-extca.example", mode: "adde", password: "max-password-1" }));
      const token = tokenFromResultLocation(signIn.headers.get("location"));
      const res = await enrollPost(adde, "https://mdm.example.test/adde/adde", { token, body: ENROLL_BODY.replace("iPhone17,2", "Mac16,1").replace("19A240", "24C101") });
      expect(res.status).toBe(200);
      const payloads = (parsePlistStrict((await verifySignedData(new Uint8Array(await res.arrayBuffer()))).content) as PlistDict).PayloadContent as PlistDict[];
      const scep = payloads.find((p) => p.PayloadType === "com.apple.security.scep")!.PayloadContent as PlistDict;
      const mdmPayload = payloads.find((p) => p.PayloadType === "com.apple.mdm")!;
      expect(scep.URL).toBe(pinned.url);
      const issued = await scepclientEnroll()({ url: String(scep.URL), challenge: String(scep.Challenge), subject: "CN=max@mac-extca.example" });
      const toLocal = (u: string) => `${adde.url}${new URL(u).pathname}${new URL(u).search}`;
      const mac = await simDevice(adde, await currentMdmTopic(), issued, {
        mode: "device",
        bearer: () => token,
        bearerOnDeviceChannel: false,
        productName: "Mac16,1",
        model: "Mac16,1",
        modelName: "MacBook Pro",
        checkInUrl: toLocal(String(mdmPayload.CheckInURL)),
        serverUrl: toLocal(String(mdmPayload.ServerURL)),
      });
      await mac.enrollMdm();
      const max = await t.client.user.findUniqueOrThrow({ where: { identifier: "max@mac-extca.example" } });
      const row = await t.client.device.findUniqueOrThrow({ where: { identifier: mac.udid }, include: { certificates: true } });
      expect(row).toMatchObject({ status: "MANAGED", enrollmentType: "DEVICE_ENROLLMENT", deviceChannelCertOnly: true, userId: max.id, groupId: macs.id });
      // (Recorded under whichever profile pins that CA first; several may.)
      expect(row.certificates[0]).toMatchObject({ externalProfileId: expect.any(String), userId: max.id });
      // The user channel still needs the user's token.
      expect((await mac.userAuthenticate()).status).toBe(200);

      // Another user's Mac presenting Max's reference with its own certificate from the same CA
      // is not tied to Max: only a rule giving *that* CA to the reference's user claims it ...
      await t.client.addeRoute.updateMany({ where: { domain: "mac-extca.example" }, data: { externalScepProfileId: null } });
      const other = await scepclientEnroll()({ url: String(scep.URL), challenge: String(scep.Challenge), subject: "CN=someone" });
      const intruder = await simDevice(adde, await currentMdmTopic(), other, {
        mode: "device",
        bearerOnDeviceChannel: false,
        productName: "Mac16,1",
        checkInUrl: toLocal(String(mdmPayload.CheckInURL)),
        serverUrl: toLocal(String(mdmPayload.ServerURL)),
      });
      await intruder.authenticate();
      const cert = await t.client.certificate.findFirst({ where: { subject: { contains: "someone" } } });
      expect(cert?.userId ?? null).toBeNull();
      expect(await t.client.device.findFirst({ where: { identifier: intruder.udid, userId: max.id } })).toBeNull();
    } finally {
      await adde.close();
    }
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
