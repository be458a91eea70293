// Identity renewal before expiry: the job queues one InstallProfile with an updated
// enrollment profile (Apple's schemas, same identifiers, URLs and topic, no more
// AccessRights, a new one-time challenge); the simulator runs SCEP with it and signs with
// the new certificate; the server accepts it for that device only and moves the binding.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { config } from "@/lib/config";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";
import { createGroup } from "@/lib/mdm/groups";
import { queueIdentityRenewals } from "@/lib/mdm/identityRenewal";
import { parsePlistDict, type PlistDict } from "@/lib/plist/plist";
import { addPolicy } from "@/lib/mdm/policies";
import { verifySignedData } from "@/lib/pki/cms";
import { validateCommand, validateProfile } from "@/lib/profiles/appleSchema";
import { createScepProfile } from "@/lib/scep/profiles";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { serveOtaEnrollment } from "./helpers";
import { createApiKey } from "@/lib/auth/apiKeys";
import { deleteScepProfile } from "@/lib/scep/profiles";
import { scepEnroll, scepRenew } from "@/test/helpers/scepClient";
import { serveRouteImports } from "@/test/helpers/routeServer";
import { SimDevice } from "@/test/sim/device";

let t: TestDb;
let server: RouteServer;

let api: RouteServer;
let adminKey: string;

beforeAll(async () => {
  t = await createTestDb();
  server = await serveOtaEnrollment();
  api = await serveRouteImports({ "/api/v1/certificates/[serial]/revoke": import("@/app/api/v1/certificates/[serial]/revoke/route") });
  adminKey = (await createApiKey("renewal-admin", "ADMIN")).key;
});
afterAll(async () => {
  await api.close();
  await server.close();
  await t.close();
});

/** The admin API's revoke, as an admin would call it. */
async function revokeViaApi(serial: string, body: object): Promise<Response> {
  return fetch(`${api.url}/api/v1/certificates/${serial}/revoke`, { method: "POST", headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" }, body: JSON.stringify(body) });
}

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
    expect(await t.client.enrollmentLog.findFirstOrThrow({ where: { deviceIdentifier: sim.udid, outcome: "ERROR" }, orderBy: [{ time: "desc" }, { id: "desc" }] })).toMatchObject({
      reason: "checkin_cert_revoked",
    });
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

  it("A renews to B, A is revoked: B is refused at check-in and at renewal (B bound or not)", async () => {
    // Window as long as the validity: renewal is allowed at once.
    const scep = await createScepProfile({ name: "Cascade", challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID", validityDays: 30, renewalWindowDays: 30 });
    const token = await createEnrollmentToken({ name: "Cascade", expiresIn: "7d", scepProfileId: scep.profile.id, maxUses: 5 });
    const url = `${server.url}/scep/${scep.profile.id}`;
    const { sim, device, cert: a } = await enrolled(token.url);
    const identityA = sim.identity!;

    // A renews to B by RenewalReq; B's first check-in binds it and retires A (superseded).
    const b = await scepRenew({ url, current: identityA, subject: `CN=${sim.udid}` });
    const rowB = await t.client.certificate.findFirstOrThrow({ where: { renewedFromSerial: a.serial } });
    await sim.useIdentity({ certDer: b.certDer, privateKeyPem: b.privateKeyPem });
    expect((await sim.report({ Status: "Idle" })).status).toBe(200);
    expect((await t.client.device.findUniqueOrThrow({ where: { id: device.id } })).certSerial).toBe(rowB.serial);
    expect(await t.client.certificate.findUniqueOrThrow({ where: { serial: a.serial } })).toMatchObject({ revocationCode: 4 });

    // B renews to C (not bound yet).
    const c = await scepRenew({ url, current: b, subject: `CN=${sim.udid}` });
    const rowC = await t.client.certificate.findFirstOrThrow({ where: { renewedFromSerial: rowB.serial } });

    // The admin revokes A (already superseded) for key compromise: B and C go with it.
    const res = await revokeViaApi(a.serial, { reason: "stolen laptop", reasonCode: "keyCompromise" });
    expect(res.status).toBe(200);
    for (const serial of [rowB.serial, rowC.serial]) {
      expect(await t.client.certificate.findUniqueOrThrow({ where: { serial } })).toMatchObject({ revocationCode: 1, revocationReason: expect.stringMatching(/^renewed from revoked certificate /) });
    }
    const cascadeLine = await t.client.enrollmentLog.findFirstOrThrow({ where: { step: "revocation" }, orderBy: [{ time: "desc" }, { id: "desc" }] });
    expect(cascadeLine.message).toContain(rowB.serial);
    expect(cascadeLine.message).toContain(rowC.serial);

    // B (bound) is refused at check-in; C would be refused binding; neither can renew.
    expect((await sim.report({ Status: "Idle" })).status).toBe(401);
    expect(await t.client.enrollmentLog.findFirstOrThrow({ where: { deviceIdentifier: sim.udid, outcome: "ERROR" }, orderBy: [{ time: "desc" }, { id: "desc" }] })).toMatchObject({
      reason: "checkin_cert_revoked",
    });
    await sim.useIdentity({ certDer: c.certDer, privateKeyPem: c.privateKeyPem });
    expect((await sim.report({ Status: "Idle" })).status).toBe(401);
    expect((await t.client.device.findUniqueOrThrow({ where: { id: device.id } })).certSerial).toBe(rowB.serial);
    for (const current of [b, c]) {
      await expect(scepRenew({ url, current, subject: `CN=${sim.udid}` })).rejects.toMatchObject({ failInfo: "badRequest" });
      expect(await t.client.enrollmentLog.findFirstOrThrow({ where: { step: "scep" }, orderBy: [{ time: "desc" }, { id: "desc" }] })).toMatchObject({
        reason: "scep_renewal_rejected",
        outcome: "ERROR",
      });
    }
    expect(await t.client.certificate.count({ where: { renewedFromSerial: { in: [rowB.serial, rowC.serial] } } })).toBe(1);

    // The API refuses a reason code it does not know, and "superseded" (only renewal retires that way).
    expect((await revokeViaApi(a.serial, { reasonCode: "superseded" })).status).toBe(400);
    expect((await revokeViaApi(a.serial, { reasonCode: "lost" })).status).toBe(400);
  });

  it("renewal only within the renewal window, only under the issuing profile; a deleted profile's certificates cannot renew", async () => {
    const narrow = await createScepProfile({ name: "Narrow window", challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID", validityDays: 90, renewalWindowDays: 10 });
    const wide = await createScepProfile({ name: "Wide and long", challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID", validityDays: 3650, renewalWindowDays: 365 });
    const token = await createEnrollmentToken({ name: "Window", expiresIn: "7d", scepProfileId: narrow.profile.id, maxUses: 5 });
    const { sim, cert } = await enrolled(token.url);
    const current = sim.identity!;

    // 90 days left, window 10 days: too early.
    await expect(scepRenew({ url: `${server.url}/scep/${narrow.profile.id}`, current, subject: `CN=${sim.udid}` })).rejects.toMatchObject({ failInfo: "badRequest" });
    let line = await t.client.enrollmentLog.findFirstOrThrow({ where: { step: "scep" }, orderBy: [{ time: "desc" }, { id: "desc" }] });
    expect(line.reason).toBe("scep_renewal_too_early");
    expect(line.message).toContain(`certificate ${cert.serial} can be renewed from ${new Date(cert.notAfter.getTime() - 10 * DAY).toISOString()}`);

    // Under another profile (whose window is open and validity longer): refused.
    await expect(scepRenew({ url: `${server.url}/scep/${wide.profile.id}`, current, subject: `CN=${sim.udid}` })).rejects.toMatchObject({ failInfo: "badRequest" });
    line = await t.client.enrollmentLog.findFirstOrThrow({ where: { step: "scep" }, orderBy: [{ time: "desc" }, { id: "desc" }] });
    expect(line).toMatchObject({ reason: "scep_renewal_rejected", message: expect.stringContaining("belongs to another SCEP profile") });

    // The issuing profile is deleted: its certificate cannot renew anywhere (today it got the other profile's 10 years).
    await deleteScepProfile(narrow.profile.id);
    expect((await t.client.certificate.findUniqueOrThrow({ where: { serial: cert.serial } })).profileId).toBeNull();
    await expect(scepRenew({ url: `${server.url}/scep/${wide.profile.id}`, current, subject: `CN=${sim.udid}` })).rejects.toMatchObject({ failInfo: "badRequest" });
    line = await t.client.enrollmentLog.findFirstOrThrow({ where: { step: "scep" }, orderBy: [{ time: "desc" }, { id: "desc" }] });
    expect(line).toMatchObject({ reason: "scep_renewal_profile_deleted", message: expect.stringContaining(`the SCEP profile that issued certificate ${cert.serial} was deleted`) });
    expect(await t.client.certificate.count({ where: { renewedFromSerial: cert.serial } })).toBe(0);
  });
});
