// Done-when (issue 14): a group with a certificate policy backed by an NDES-style challenge URL
// (served by a second instance of our own SCEP + NDES endpoints, acting as the external CA)
// queues a per-device profile for every member: a distinct challenge each, CAFingerprint of
// the pinned CA, the expanded subject, KeyIsExtractable false; Debian's scepclient gets a
// certificate with one of them; wrong credentials and an exhausted cache are in the log.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parse as parsePlist } from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGroup } from "@/lib/mdm/groups";
import { addPolicy } from "@/lib/mdm/policies";
import { certificatePolicyResult, policyCertificatesOf, runCertificatePolicyChecks } from "@/lib/mdm/certificateRedistribution";
import { validateProfile } from "@/lib/profiles/appleSchema";
import { reasonInfo } from "@/lib/log/reasons";
import { NDES_DEFAULT_CACHE_SIZE as NDES_MAX_UNUSED } from "@/lib/scep/profiles";
import { createExternalScepProfile, probeExternalScep } from "@/lib/scep/external/profiles";
import { createScepProfile } from "@/lib/scep/profiles";
import { config } from "@/lib/config";
import { getProfileTrust } from "@/lib/pki/trust";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { startScepServer, tempDir, tool } from "@/test/scep/tools";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { verifySignedData } from "@/lib/pki/cms";
import { parsePlistStrict, type PlistDict } from "@/lib/plist/plist";
import { issueIdentity, serveMdm, simDevice } from "./helpers";

const SCEPCLIENT = "/usr/bin/scepclient";

let t: TestDb;
let peer: RouteServer;
let peerProfile: Awaited<ReturnType<typeof createScepProfile>>;

beforeAll(async () => {
  t = await createTestDb();
  peer = await startScepServer();
  peerProfile = await createScepProfile({ name: "peer CA", challengeType: "NDES", ndesUsername: "okta", subjectTemplate: "CN=$COMPUTERNAME ma $UDID" });
});
afterAll(async () => {
  await peer?.close();
  await t?.close();
});

async function externalProfile(name: string, password: string, of = peerProfile) {
  const scepUrl = `${peer.url}/scep/${of.profile.id}`;
  const probe = await probeExternalScep(scepUrl);
  const { profile } = await createExternalScepProfile({
    name,
    scepUrl,
    caFingerprint: probe.ca.sha256,
    challengeSource: "NDES",
    challengeUrl: `${peer.url}/ndes/${of.profile.id}`,
    challengeUsername: of.ndesUsername ?? "okta",
    challengePassword: password,
    subjectTemplate: "CN=$COMPUTERNAME ma $UDID",
    keyUsage: 1,
  });
  return profile;
}

async function members(groupId: string, n: number, prefix: string) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const udid = `${prefix}-${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
    out.push(await t.client.device.create({ data: { identifier: udid, udid, status: "MANAGED", groupId, deviceName: `Mac ${i}`, serialNumber: `C02${prefix}${i}` } }));
  }
  return out;
}

type Dict = Record<string, unknown>;

async function installedProfiles(deviceId: string): Promise<Dict[]> {
  const cmds = await t.client.command.findMany({ where: { deviceId, requestType: "InstallProfile" }, orderBy: { createdAt: "asc" } });
  return cmds.map((c) => {
    const body = parsePlist(c.payload) as Dict;
    const payload = (body.Command as Dict).Payload as Buffer;
    return parsePlist(Buffer.from(payload).toString("utf8")) as Dict;
  });
}

describe("certificate policy from an external NDES-style CA", () => {
  it("gives each member its own profile with a distinct challenge; the cache running out is logged", async () => {
    const ext = await externalProfile("peer via NDES", peerProfile.ndesPassword!);
    const group = await createGroup({ name: "Okta certificates" });
    const devices = await members(group.id, NDES_MAX_UNUSED + 1, "A");
    await addPolicy(group.id, { kind: "CERTIFICATE", name: "Okta device certificate", externalScepProfileId: ext.id, redistributeDays: 30 });

    const caPem = path.join(tempDir("certpol-"), "ca.pem");
    const gca = await fetch(`${peer.url}/scep/${peerProfile.profile.id}?operation=GetCACert`);
    // Our GetCACert is an RA bundle; the pinned root is its self-signed CA, which OpenSSL fingerprints here.
    fs.writeFileSync(path.join(path.dirname(caPem), "bundle.p7b"), Buffer.from(await gca.arrayBuffer()));
    const certs = (await tool("openssl", ["pkcs7", "-inform", "DER", "-print_certs", "-in", path.join(path.dirname(caPem), "bundle.p7b")])).stdout;
    const blocks = certs.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    let rootSha1 = "";
    for (const b of blocks) {
      fs.writeFileSync(caPem, `${b}\n`);
      const subj = (await tool("openssl", ["x509", "-noout", "-subject", "-in", caPem])).stdout.replace(/^subject=/, "").trim();
      const iss = (await tool("openssl", ["x509", "-noout", "-issuer", "-in", caPem])).stdout.replace(/^issuer=/, "").trim();
      if (subj === iss) rootSha1 = /=([0-9A-F:]+)/.exec((await tool("openssl", ["x509", "-noout", "-fingerprint", "-sha1", "-in", caPem])).stdout)![1].replace(/:/g, "");
    }
    expect(rootSha1).not.toBe("");

    const challenges = new Set<string>();
    let withProfile = 0;
    for (const d of devices) {
      const profiles = await installedProfiles(d.id);
      if (profiles.length === 0) continue;
      withProfile++;
      expect(profiles).toHaveLength(1);
      const top = profiles[0];
      expect(validateProfile(top)).toEqual([]);
      const content = (top.PayloadContent as Dict[])[0].PayloadContent as Dict;
      challenges.add(String(content.Challenge));
      expect(content.Challenge).toMatch(/^[0-9A-F]{16}$/);
      expect(
        Buffer.from(content.CAFingerprint as Buffer)
          .toString("hex")
          .toUpperCase(),
      ).toBe(rootSha1);
      expect(content.Subject).toEqual([[["CN", `${d.deviceName} ma ${d.udid}`]]]);
      expect(content.KeyIsExtractable).toBe(false);
      expect(content.URL).toBe(`${peer.url}/scep/${peerProfile.profile.id}`);
    }
    expect(withProfile).toBe(NDES_MAX_UNUSED);
    expect(challenges.size).toBe(NDES_MAX_UNUSED);
    const full = await t.client.enrollmentLog.findMany({ where: { reason: "external_challenge_cache_full" } });
    expect(full.length).toBe(1);
    // The admin's fix comes with the reason (the log page links the catalogue entry).
    expect(reasonInfo(full[0].reason)?.fix).toMatch(/PasswordMax/);
    // The log never carries a challenge.
    const logs = await t.client.enrollmentLog.findMany({ where: { step: { in: ["external_challenge", "certificate_policy"] } } });
    for (const l of logs) for (const c of challenges) expect(l.message).not.toContain(c);

    // A device uses its profile: Debian's scepclient gets a certificate from the "external" CA with that challenge.
    if (fs.existsSync(SCEPCLIENT)) {
      const d = devices.find((x) => x.deviceName === "Mac 0")!;
      const content = ((await installedProfiles(d.id))[0].PayloadContent as Dict[])[0].PayloadContent as Dict;
      const dir = tempDir("certpol-client-");
      const r = await tool(
        SCEPCLIENT,
        [
          "-server-url",
          String(content.URL),
          "-challenge",
          String(content.Challenge),
          "-private-key",
          path.join(dir, "k.pem"),
          "-certificate",
          path.join(dir, "c.pem"),
          "-cn",
          `${d.deviceName} ma ${d.udid}`,
          "-organization",
          "",
        ],
        { cwd: dir },
      );
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it("wrong challenge-URL credentials: nothing queued, the log says so with the fix", async () => {
    const ext = await externalProfile("peer wrong password", "not-the-password");
    const group = await createGroup({ name: "Wrong password" });
    const [d] = await members(group.id, 1, "B");
    await addPolicy(group.id, { kind: "CERTIFICATE", externalScepProfileId: ext.id });
    expect(await installedProfiles(d.id)).toEqual([]);
    const logged = await t.client.enrollmentLog.findMany({ where: { reason: "external_challenge_auth_failed", deviceIdentifier: d.identifier } });
    expect(logged.length).toBe(1);
    expect(reasonInfo(logged[0].reason)?.fix).toMatch(/username and password/);
    expect(logged[0].message).not.toContain("not-the-password");
  });

  it("subject values: 64 expanded characters are installed; 65 are refused before a challenge is spent, with the fix", async () => {
    const ca = await createScepProfile({ name: "bounds CA", challengeType: "NDES", ndesUsername: "bounds", subjectTemplate: "CN=$COMPUTERNAME ma $UDID" });
    const ext = await externalProfile("bounds via NDES", ca.ndesPassword!, ca);
    const group = await createGroup({ name: "Subject bounds" });
    // CN = "<device name> ma <UDID>": a 22-character UDID and " ma " leave 42 characters for the name.
    const udid = () => `E-${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
    const fits = await t.client.device.create({ data: { identifier: "fits", udid: udid(), status: "MANAGED", groupId: group.id, deviceName: "M".repeat(42) } });
    const long = await t.client.device.create({ data: { identifier: "too-long", udid: udid(), status: "MANAGED", groupId: group.id, deviceName: "M".repeat(43) } });
    await addPolicy(group.id, { kind: "CERTIFICATE", externalScepProfileId: ext.id });
    const content = ((await installedProfiles(fits.id))[0].PayloadContent as Dict[])[0].PayloadContent as Dict;
    const cn = (content.Subject as string[][][])[0][0][1];
    expect(cn).toBe(`${"M".repeat(42)} ma ${fits.udid}`);
    expect(cn.length).toBe(64);
    expect(content.KeyIsExtractable).toBe(false);
    expect(await installedProfiles(long.id)).toEqual([]);
    const refused = await t.client.enrollmentLog.findMany({ where: { deviceIdentifier: "too-long", reason: "scep_subject_too_long" } });
    expect(refused.length).toBe(1);
    expect(reasonInfo(refused[0].reason)?.fix).toMatch(/64 characters/);
    // Only the device that got a profile used one of the CA's challenges.
    expect(await t.client.scepChallenge.count({ where: { profileId: ca.profile.id } })).toBe(1);
    // Debian's scepclient enrolls with the 64-character CN at the external CA.
    if (!fs.existsSync(SCEPCLIENT)) return;
    const dir = tempDir("certpol-bounds-");
    const r = await tool(
      SCEPCLIENT,
      ["-server-url", String(content.URL), "-challenge", String(content.Challenge), "-private-key", path.join(dir, "k.pem"), "-certificate", path.join(dir, "c.pem"), "-cn", cn, "-organization", ""],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
  });

  it("redistributes 30 days before expiry: a certificate expiring in 29 days gets a new profile with a new challenge", async () => {
    // The "external" CA issues short certificates on purpose.
    const short = await createScepProfile({ name: "short CA", challengeType: "NDES", ndesUsername: "short", subjectTemplate: "CN=$COMPUTERNAME ma $UDID", validityDays: 29 });
    const ext = await externalProfile("short via NDES", short.ndesPassword!, short);
    const group = await createGroup({ name: "Short certificates" });
    const [d] = await members(group.id, 1, "C");
    const policy = await addPolicy(group.id, { kind: "CERTIFICATE", externalScepProfileId: ext.id, redistributeDays: 30 });
    const first = ((await installedProfiles(d.id))[0].PayloadContent as Dict[])[0].PayloadContent as Dict;

    // The device enrolls with its challenge (Debian's scepclient) ...
    const dir = tempDir("certpol-short-");
    const r = await tool(
      SCEPCLIENT,
      [
        "-server-url",
        String(first.URL),
        "-challenge",
        String(first.Challenge),
        "-private-key",
        path.join(dir, "k.pem"),
        "-certificate",
        path.join(dir, "c.pem"),
        "-cn",
        `${d.deviceName} ma ${d.udid}`,
        "-organization",
        "",
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const der = new crypto.X509Certificate(fs.readFileSync(path.join(dir, "c.pem"))).raw;
    const opensslEnd = new Date((await tool("openssl", ["x509", "-noout", "-enddate", "-in", path.join(dir, "c.pem")])).stdout.trim().replace(/^notAfter=/, ""));
    expect(opensslEnd.getTime() - Date.now()).toBeLessThan(30 * 86_400_000);

    // ... acknowledges the InstallProfile: the server asks for its CertificateList.
    const install = await t.client.command.findFirstOrThrow({ where: { deviceId: d.id, requestType: "InstallProfile" } });
    await certificatePolicyResult(d, install, "Acknowledged", { CommandUUID: install.uuid, Status: "Acknowledged" });
    expect(await t.client.command.count({ where: { deviceId: d.id, requestType: "CertificateList" } })).toBe(1);

    // The CertificateList shows the certificate expiring in 29 days: a fresh profile is queued.
    await certificatePolicyResult(d, { requestType: "CertificateList", policyId: null }, "Acknowledged", {
      CertificateList: [{ CommonName: `${d.deviceName} ma ${d.udid}`, Data: new Uint8Array(der), IsIdentity: true }],
    });
    const installed = await t.client.installedCertificate.findUniqueOrThrow({ where: { deviceId_policyId: { deviceId: d.id, policyId: policy.id } } });
    expect(installed.notAfter.getTime()).toBe(opensslEnd.getTime());
    expect(installed.nextRedistributionAt.getTime()).toBe(opensslEnd.getTime() - 30 * 86_400_000);
    // What the device page shows.
    const shown = await policyCertificatesOf(d.id);
    expect(shown).toHaveLength(1);
    expect(shown[0].subject).toContain(`${d.deviceName} ma ${d.udid}`);
    expect(shown[0].issuer).toBe(new crypto.X509Certificate(der).issuer.replace(/\n/g, ","));
    expect(shown[0].nextRedistributionAt).toEqual(installed.nextRedistributionAt);
    const profiles = await installedProfiles(d.id);
    expect(profiles).toHaveLength(2);
    const second = (profiles[1].PayloadContent as Dict[])[0].PayloadContent as Dict;
    expect(second.Challenge).not.toBe(first.Challenge);
    expect(profiles[1].PayloadIdentifier).toBe(profiles[0].PayloadIdentifier);
    const logged = await t.client.enrollmentLog.findMany({ where: { deviceIdentifier: d.identifier, message: { contains: "redistributing" } } });
    expect(logged.length).toBe(1);
    expect(logged[0].message).toMatch(/expires .* in 2[89] day\(s\), within the policy's 30/);

    // A second CertificateList the same day does not queue yet another profile.
    await certificatePolicyResult(d, { requestType: "CertificateList", policyId: null }, "Acknowledged", { CertificateList: [{ Data: new Uint8Array(der), IsIdentity: true }] });
    expect(await installedProfiles(d.id)).toHaveLength(2);

    // The scheduled job two days later: the device is asked for its CertificateList again, and as
    // it reported no newer certificate, the profile is redistributed once more.
    const later = new Date(Date.now() + 2 * 86_400_000);
    const run = await runCertificatePolicyChecks(later);
    expect(run.redistributed).toBeGreaterThanOrEqual(1);
    expect(await installedProfiles(d.id)).toHaveLength(3);
    expect(await runCertificatePolicyChecks(later)).toMatchObject({ redistributed: 0 });

    // A failed installation is logged with the device's ErrorChain and the fix.
    const again = await t.client.command.findFirstOrThrow({ where: { deviceId: d.id, requestType: "InstallProfile" }, orderBy: { createdAt: "desc" } });
    await certificatePolicyResult(d, again, "Error", { ErrorChain: [{ ErrorDomain: "MCSCEPErrorDomain", ErrorCode: 22013, LocalizedDescription: "The SCEP server returned an invalid response." }] });
    const failed = await t.client.enrollmentLog.findMany({ where: { reason: "certificate_profile_failed", deviceIdentifier: d.identifier } });
    expect(failed.length).toBe(1);
    expect(failed[0].message).toContain("MCSCEPErrorDomain 22013");
  });

  it("through the device path: a signed CertificateList report on /mdm/connect with a certificate expiring in 29 days re-queues InstallProfile with a new challenge", async () => {
    const mdm = await serveMdm();
    try {
      // The "external" CA (a second instance of our server) issues 29-day certificates on purpose.
      const short = await createScepProfile({ name: "short CA (device path)", challengeType: "NDES", ndesUsername: "short2", subjectTemplate: "CN=$UDID", validityDays: 29 });
      const ext = await externalProfile("short via NDES (device path)", short.ndesPassword!, short);
      const group = await createGroup({ name: "Short certificates, device path" });
      await addPolicy(group.id, { kind: "CERTIFICATE", name: "Okta device certificate (29 days)", externalScepProfileId: ext.id, redistributeDays: 30 });
      const token = await createEnrollmentToken({ name: "device path", expiresIn: "7d", groupId: group.id });
      const identity = await issueIdentity("CN=device-path", { enrollmentTokenId: token.id });
      const device = await simDevice(mdm, await currentMdmTopic(), identity);
      expect((await device.authenticate()).status).toBe(200);
      expect((await device.tokenUpdate()).status).toBe(200);

      /** The SCEP payload of an InstallProfile command as the device receives it. */
      const scepOf = async (command: PlistDict): Promise<PlistDict> => {
        const bytes = (command.Command as PlistDict).Payload as Uint8Array;
        const top = parsePlistStrict(bytes[0] === 0x30 ? (await verifySignedData(bytes)).content : bytes) as PlistDict;
        return (top.PayloadContent as PlistDict[]).find((p) => p.PayloadType === "com.apple.security.scep")!.PayloadContent as PlistDict;
      };
      /** Answers commands until one of `type` arrives (others acknowledged as a device would with nothing to report). */
      const until = async (first: PlistDict | null, type: string): Promise<PlistDict> => {
        let cmd = first;
        for (let i = 0; i < 20 && cmd; i++) {
          if ((cmd.Command as PlistDict).RequestType === type) return cmd;
          cmd = (await device.report({ Status: "Acknowledged", CommandUUID: String(cmd.CommandUUID) })).command;
        }
        throw new Error(`no ${type} command arrived`);
      };

      const install = await until((await device.report({ Status: "Idle" })).command, "InstallProfile");
      const first = await scepOf(install);
      expect(first.URL).toBe(`${peer.url}/scep/${short.profile.id}`);
      // The device's SCEP client (Debian's scepclient) enrolls at the external CA with that challenge.
      const dir = tempDir("certpol-path-");
      const r = await tool(
        SCEPCLIENT,
        [
          "-server-url",
          String(first.URL),
          "-challenge",
          String(first.Challenge),
          "-private-key",
          path.join(dir, "k.pem"),
          "-certificate",
          path.join(dir, "c.pem"),
          "-cn",
          device.udid,
          "-organization",
          "",
        ],
        { cwd: dir },
      );
      expect(r.code, r.stderr).toBe(0);
      const der = new Uint8Array(new crypto.X509Certificate(fs.readFileSync(path.join(dir, "c.pem"))).raw);
      const end = new Date((await tool("openssl", ["x509", "-noout", "-enddate", "-in", path.join(dir, "c.pem")])).stdout.trim().replace(/^notAfter=/, ""));
      const daysLeft = (end.getTime() - Date.now()) / 86_400_000;
      expect(daysLeft).toBeGreaterThan(28);
      expect(daysLeft).toBeLessThan(30);

      // InstallProfile acknowledged: the server asks for the CertificateList.
      const list = await until((await device.report({ Status: "Acknowledged", CommandUUID: String(install.CommandUUID) })).command, "CertificateList");
      // The device reports its certificates, signed, on /mdm/connect: the MDM identity (issued by
      // the same CA here, and with a longer life: it must not be taken for the policy's) and the new one.
      const answer = await device.report({
        Status: "Acknowledged",
        CommandUUID: String(list.CommandUUID),
        CertificateList: [
          { CommonName: "device-path", Data: new Uint8Array(identity.certDer), IsIdentity: true },
          { CommonName: device.udid, Data: der, IsIdentity: true },
        ],
      });
      expect(answer.status).toBe(200);
      // The answer to that report is the redistribution: InstallProfile again, same profile, new challenge.
      const again = await until(answer.command, "InstallProfile");
      const second = await scepOf(again);
      expect(second.Challenge).not.toBe(first.Challenge);
      expect(second.URL).toBe(first.URL);
      const row = await t.client.device.findUniqueOrThrow({ where: { identifier: device.udid } });
      const logged = await t.client.enrollmentLog.findMany({ where: { deviceIdentifier: device.udid, message: { contains: "redistributing" } } });
      expect(logged).toHaveLength(1);
      expect(logged[0].message).toMatch(/expires .* in 2[89] day\(s\), within the policy's 30/);
      const shown = await policyCertificatesOf(row.id);
      expect(shown).toMatchObject([{ notAfter: end, nextRedistributionAt: new Date(end.getTime() - 30 * 86_400_000) }]);
      // The new challenge is good at the CA: the device gets its next certificate with it.
      // (A new folder: scepclient reuses a csr.pem it finds, with the old challenge in it.)
      const dir2 = tempDir("certpol-path2-");
      const r2 = await tool(
        SCEPCLIENT,
        [
          "-server-url",
          String(second.URL),
          "-challenge",
          String(second.Challenge),
          "-private-key",
          path.join(dir2, "k.pem"),
          "-certificate",
          path.join(dir2, "c.pem"),
          "-cn",
          device.udid,
          "-organization",
          "",
        ],
        { cwd: dir2 },
      );
      expect(r2.code, r2.stderr).toBe(0);
    } finally {
      await mdm.close();
    }
  });

  it("a built-in DYNAMIC profile works too: one-time challenge per device, our root's CAFingerprint, scepclient enrolls", async () => {
    const own = await createScepProfile({ name: "own dynamic", challengeType: "DYNAMIC", subjectTemplate: "CN=$SERIALNUMBER" });
    const group = await createGroup({ name: "Own CA certificates" });
    const devices = await members(group.id, 2, "D");
    await addPolicy(group.id, { kind: "CERTIFICATE", scepProfileId: own.profile.id, redistributeDays: 10 });
    const contents = await Promise.all(devices.map(async (d) => ((await installedProfiles(d.id))[0].PayloadContent as Dict[])[0].PayloadContent as Dict));
    expect(new Set(contents.map((c) => c.Challenge)).size).toBe(2);
    const rootSha1 = Buffer.from((await getProfileTrust()).caFingerprint).toString("hex");
    const opensslSha1 = await (async () => {
      const dir = tempDir("certpol-root-");
      const bundle = path.join(dir, "b.p7b");
      fs.writeFileSync(bundle, Buffer.from(await (await fetch(`${peer.url}/scep/${own.profile.id}?operation=GetCACert`)).arrayBuffer()));
      const pems = (await tool("openssl", ["pkcs7", "-inform", "DER", "-print_certs", "-in", bundle])).stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
      const fps: string[] = [];
      for (const pem of pems) {
        const f = path.join(dir, "c.pem");
        fs.writeFileSync(f, `${pem}\n`);
        fps.push(
          /=([0-9A-F:]+)/
            .exec((await tool("openssl", ["x509", "-noout", "-fingerprint", "-sha1", "-in", f])).stdout)![1]
            .replace(/:/g, "")
            .toLowerCase(),
        );
      }
      return fps;
    })();
    expect(opensslSha1).toContain(rootSha1);
    for (const [i, c] of contents.entries()) {
      expect(Buffer.from(c.CAFingerprint as Buffer).toString("hex")).toBe(rootSha1);
      expect(c.Subject).toEqual([[["CN", devices[i].serialNumber]]]);
    }
    if (!fs.existsSync(SCEPCLIENT)) return;
    const dir = tempDir("certpol-own-");
    const url = String(contents[0].URL).replace(config().publicUrl, peer.url);
    const r = await tool(
      SCEPCLIENT,
      [
        "-server-url",
        url,
        "-challenge",
        String(contents[0].Challenge),
        "-private-key",
        path.join(dir, "k.pem"),
        "-certificate",
        path.join(dir, "c.pem"),
        "-cn",
        String(devices[0].serialNumber),
        "-organization",
        "",
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
  });
  it('a built-in TOKEN profile (seed 000 "Token-based"): the challenge is bound to the device\'s enrollment token; scepclient enrolls with it', async () => {
    const own = await createScepProfile({ name: "own token-based", challengeType: "TOKEN", subjectTemplate: "CN=$UDID" });
    const group = await createGroup({ name: "Token-based certificates" });
    const token = await createEnrollmentToken({ name: "token-based policy", expiresIn: "7d", groupId: group.id });
    const udid = `T-${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
    const withToken = await t.client.device.create({ data: { identifier: udid, udid, status: "MANAGED", groupId: group.id, tokenId: token.id } });
    const without = await t.client.device.create({ data: { identifier: "no-token", udid: "no-token", status: "MANAGED", groupId: group.id } });
    await addPolicy(group.id, { kind: "CERTIFICATE", scepProfileId: own.profile.id });
    const content = ((await installedProfiles(withToken.id))[0].PayloadContent as Dict[])[0].PayloadContent as Dict;
    expect(content.Subject).toEqual([[["CN", udid]]]);
    const stored = await t.client.scepChallenge.findMany({ where: { profileId: own.profile.id } });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ source: "TOKEN", tokenId: token.id });
    // A device that enrolled without a token gets nothing, and the log says why.
    expect(await installedProfiles(without.id)).toEqual([]);
    expect(await t.client.enrollmentLog.count({ where: { deviceIdentifier: "no-token", step: "certificate_policy", outcome: "ERROR" } })).toBe(1);
    if (!fs.existsSync(SCEPCLIENT)) return;
    const dir = tempDir("certpol-token-");
    const url = String(content.URL).replace(config().publicUrl, peer.url);
    const r = await tool(
      SCEPCLIENT,
      ["-server-url", url, "-challenge", String(content.Challenge), "-private-key", path.join(dir, "k.pem"), "-certificate", path.join(dir, "c.pem"), "-cn", udid, "-organization", ""],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const issued = await t.client.certificate.findFirstOrThrow({ where: { profileId: own.profile.id } });
    expect(issued.enrollmentTokenId).toBe(token.id);
  });
});
