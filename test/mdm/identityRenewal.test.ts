// Identity renewal before expiry: the job queues one InstallProfile with an updated
// enrollment profile (Apple's schemas, same identifiers, URLs and topic, no more
// AccessRights, a new one-time challenge); the simulator runs SCEP with it and signs with
// the new certificate; the server accepts it for that device only and moves the binding.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { config } from "@/lib/config";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";
import { createGroup } from "@/lib/mdm/groups";
import { queueIdentityRenewals } from "@/lib/mdm/identityRenewal";
import { parsePlistDict, type PlistDict } from "@/lib/mdm/plist";
import { addPolicy } from "@/lib/mdm/policies";
import { verifySignedData } from "@/lib/pki/cms";
import { validateCommand, validateProfile } from "@/lib/profiles/appleSchema";
import { createScepProfile } from "@/lib/scep/profiles";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { serveOtaEnrollment } from "./helpers";
import { scepEnroll } from "@/test/helpers/scepClient";
import { SimDevice } from "@/test/sim/device";

let t: TestDb;
let server: RouteServer;

beforeAll(async () => {
  t = await createTestDb();
  server = await serveOtaEnrollment();
});
afterAll(async () => {
  await server.close();
  await t.close();
});

const DAY = 86_400_000;
const payloadsOf = (p: PlistDict) => (p.PayloadContent as PlistDict[]) ?? [];
const byType = (p: PlistDict, type: string) => payloadsOf(p).find((x) => x.PayloadType === type)!;

async function enrolled(tokenUrl: string) {
  const publicUrl = config().publicUrl;
  const sim = new SimDevice({ rewriteUrl: (u) => u.replace(publicUrl, server.url) });
  const { profile } = await sim.enrollOta(tokenUrl);
  const device = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
  const cert = await t.client.certificate.findUniqueOrThrow({ where: { serial: device.certSerial! } });
  return { sim, profile, device, cert };
}

describe("identity certificate renewal", () => {
  it("queues one replacement enrollment profile, the device renews by SCEP and is moved to the new certificate", async () => {
    const group = await createGroup({ name: "Renewing phones" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "ProfileList" });
    const scep = await createScepProfile({ name: "Short-lived", challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID", validityDays: 60, renewalWindowDays: 20 });
    const token = await createEnrollmentToken({ name: "Renewing", expiresIn: "7d", groupId: group.id, scepProfileId: scep.profile.id, maxUses: 5 });
    const { sim, profile, device, cert: oldCert } = await enrolled(token.url);
    expect(device.status).toBe("MANAGED");
    const oldIdentity = sim.identity!;

    // Outside the window: nothing.
    expect((await queueIdentityRenewals(new Date())).queued).toEqual([]);

    const now = new Date(oldCert.notAfter.getTime() - 10 * DAY);
    const run = await queueIdentityRenewals(now);
    expect(run.queued.map((q) => [q.identifier, q.serial])).toEqual([[sim.udid, oldCert.serial]]);
    expect(run.failed).toEqual([]);
    // Idempotent: the renewal is already queued.
    expect((await queueIdentityRenewals(now)).queued).toEqual([]);

    const commands = await t.client.command.findMany({ where: { deviceId: device.id, requestType: "InstallProfile", status: "QUEUED" } });
    expect(commands).toHaveLength(1);
    const envelope = parsePlistDict(new TextEncoder().encode(commands[0].payload), 8 << 20);
    expect(validateCommand("InstallProfile", envelope)).toEqual([]);
    const signed = (envelope.Command as PlistDict).Payload as Uint8Array;
    const replacement = parsePlistDict((await verifySignedData(new Uint8Array(signed))).content, 8 << 20);
    expect(validateProfile(replacement)).toEqual([]);

    // Same identifiers, URLs and topic as installed; no more AccessRights; a new challenge.
    expect(replacement.PayloadIdentifier).toBe(profile.PayloadIdentifier);
    const [oldMdm, newMdm] = [byType(profile, "com.apple.mdm"), byType(replacement, "com.apple.mdm")];
    for (const k of ["PayloadIdentifier", "ServerURL", "CheckInURL", "Topic", "SignMessage"]) expect(newMdm[k], k).toEqual(oldMdm[k]);
    expect((newMdm.AccessRights as number) & ~(oldMdm.AccessRights as number)).toBe(0);
    const [oldScep, newScep] = [byType(profile, "com.apple.security.scep"), byType(replacement, "com.apple.security.scep")];
    expect(newScep.PayloadIdentifier).toBe(oldScep.PayloadIdentifier);
    expect(newMdm.IdentityCertificateUUID).toBe(newScep.PayloadUUID);
    const newChallenge = (newScep.PayloadContent as PlistDict).Challenge;
    expect(newChallenge).toMatch(/^[A-Z0-9]{32}$/);
    expect(newChallenge).not.toBe((oldScep.PayloadContent as PlistDict).Challenge);
    // The device is known now: its subject carries the real UDID, not the download's reference.
    expect((newScep.PayloadContent as PlistDict).Subject).toEqual([[["CN", sim.udid]]]);

    // The device installs it (SCEP with the new challenge) and acknowledges, signed with the new certificate.
    const handled = await sim.pollCommands();
    expect(handled.map((c) => [c.requestType, c.status])).toEqual([["InstallProfile", "Acknowledged"]]);
    expect(Buffer.from(sim.identity!.certDer).equals(Buffer.from(oldIdentity.certDer))).toBe(false);
    const newIdentity = sim.identity!;
    const after = await t.client.device.findUniqueOrThrow({ where: { id: device.id } });
    expect(after.certSerial).not.toBe(oldCert.serial);
    const newCert = await t.client.certificate.findUniqueOrThrow({ where: { serial: after.certSerial! } });
    expect(newCert).toMatchObject({ renewedFromSerial: oldCert.serial, deviceId: device.id, profileId: scep.profile.id, subject: `CN=${sim.udid}` });
    expect(await t.client.command.findFirstOrThrow({ where: { id: commands[0].id } })).toMatchObject({ status: "ACKNOWLEDGED" });
    // The one-time challenge is spent.
    expect(await t.client.scepChallenge.count({ where: { source: `RENEWAL:${oldCert.serial}`, usedAt: null } })).toBe(0);

    // The old certificate is retired once its successor is bound (revoked, superseded); the binding does not move back.
    expect(await t.client.certificate.findUniqueOrThrow({ where: { serial: oldCert.serial } })).toMatchObject({ revocationCode: 4, revocationReason: `superseded by ${newCert.serial}` });
    expect((await t.client.certificate.findUniqueOrThrow({ where: { serial: newCert.serial } })).revokedAt).toBeNull();
    await sim.useIdentity(oldIdentity);
    expect((await sim.report({ Status: "Idle" })).status).toBe(401);
    expect(await t.client.enrollmentLog.findFirstOrThrow({ where: { deviceIdentifier: sim.udid, outcome: "ERROR" }, orderBy: [{ time: "desc" }, { id: "desc" }] })).toMatchObject({ reason: "checkin_cert_revoked" });
    expect((await t.client.device.findUniqueOrThrow({ where: { id: device.id } })).certSerial).toBe(newCert.serial);
    await sim.useIdentity(newIdentity);

    const lines = await t.client.enrollmentLog.findMany({ where: { step: "renewal", deviceIdentifier: sim.udid }, orderBy: [{ time: "asc" }, { id: "asc" }] });
    expect(lines.map((l) => l.outcome)).toEqual(["OK", "OK", "OK"]);
    expect(lines[0].message).toMatch(new RegExp(`^Identity renewal queued: InstallProfile ${commands[0].uuid} .*certificate ${oldCert.serial} expires in 10 day`));
    expect(lines[1].message).toBe(`Identity renewal: certificate ${newCert.serial} issued to replace ${oldCert.serial}`);
    expect(lines[2].message).toBe(`Identity renewal: device moved from certificate ${oldCert.serial} to ${newCert.serial}; ${oldCert.serial} is revoked as superseded`);

    // Nothing more to renew now (the new certificate is far from its end).
    expect((await queueIdentityRenewals(new Date())).queued).toEqual([]);

    // Another device's renewal certificate is refused for this device, as before.
    const other = await enrolled(token.url);
    const otherRun = await queueIdentityRenewals(new Date(other.cert.notAfter.getTime() - 5 * DAY));
    expect(otherRun.queued.map((q) => q.identifier)).toContain(other.sim.udid);
    await other.sim.pollCommands();
    const otherAfter = await t.client.device.findUniqueOrThrow({ where: { id: other.device.id } });
    expect(otherAfter.certSerial).not.toBe(other.cert.serial);
    await sim.useIdentity(other.sim.identity!);
    const refused = await sim.report({ Status: "Idle" });
    expect([401, 403]).toContain(refused.status);
    const refusal = await t.client.enrollmentLog.findFirstOrThrow({ where: { deviceIdentifier: sim.udid, outcome: "ERROR" }, orderBy: { time: "desc" } });
    expect(refusal.reason).toBe("checkin_cert_mismatch");
    expect((await t.client.device.findUniqueOrThrow({ where: { id: device.id } })).certSerial).toBe(newCert.serial);
  });

  it("a renewal challenge of a device that checked out in the meantime gets no certificate", async () => {
    const scep = await createScepProfile({ name: "Checked out", challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID", validityDays: 30, renewalWindowDays: 10 });
    const token = await createEnrollmentToken({ name: "Leaving", expiresIn: "7d", scepProfileId: scep.profile.id });
    const { sim, device, cert } = await enrolled(token.url);
    const run = await queueIdentityRenewals(new Date(cert.notAfter.getTime() - 2 * DAY));
    expect(run.queued.map((q) => q.identifier)).toEqual([sim.udid]);
    const command = await t.client.command.findFirstOrThrow({ where: { deviceId: device.id, requestType: "InstallProfile" } });
    const signed = (parsePlistDict(new TextEncoder().encode(command.payload), 8 << 20).Command as PlistDict).Payload as Uint8Array;
    const scepPayload = byType(parsePlistDict((await verifySignedData(new Uint8Array(signed))).content, 8 << 20), "com.apple.security.scep").PayloadContent as PlistDict;
    expect((await sim.checkOut()).status).toBe(200);
    await expect(scepEnroll({ url: String(scepPayload.URL).replace(config().publicUrl, server.url), challenge: String(scepPayload.Challenge), subject: `CN=${sim.udid}` })).rejects.toThrow();
    expect(await t.client.certificate.count({ where: { renewedFromSerial: cert.serial } })).toBe(0);
    const line = await t.client.enrollmentLog.findFirstOrThrow({ where: { step: "scep", outcome: "ERROR", reason: "scep_renewal_rejected" }, orderBy: { time: "desc" } });
    expect(line.message).toContain(`renewal challenge for certificate ${cert.serial}, which is bound to an unenrolled device`);
  });
});
