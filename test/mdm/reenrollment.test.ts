// Re-enrollment over real HTTP: a second enrollment identity that Authenticates with a
// known device's UDID gets nothing of the device (no bootstrap token, no queued command,
// no push credentials), the previous certificate stops working, and the setting decides
// whether the hand-over happens at once or waits for an admin (approve / deny).
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { createGroup } from "@/lib/mdm/groups";
import { addPolicy } from "@/lib/mdm/policies";
import { enqueueCommand } from "@/lib/mdm/commands";
import { currentCrl } from "@/lib/pki/crl";
import { parsePlistStrict, type PlistDict } from "@/lib/plist/plist";
import { approveReEnrollment, denyReEnrollment, reEnrollmentVerdict } from "@/lib/mdm/reenrollment";
import { updateReEnrollmentSettings, getReEnrollmentSettings, type ReEnrollmentPolicy } from "@/lib/settings/reenrollment";
import { issueIdentity, randomUdid, serveMdm, simDevice } from "./helpers";
import { restrictionsProfile } from "./fixtures/profiles";
import type { SimDevice } from "@/test/sim/device";

let t: TestDb;
let server: RouteServer;
let topic: string;

beforeAll(async () => {
  t = await createTestDb();
  server = await serveMdm();
  topic = await currentMdmTopic();
});
afterAll(async () => {
  await server.close();
  await t.close();
});

const setPolicy = (policy: ReEnrollmentPolicy) => updateReEnrollmentSettings({ policy });
beforeEach(() => setPolicy("same-enrollment"));

/** The reason OpenSSL reads for this serial in the published CRL (null when not listed). */
async function crlReasonOf(serial: string): Promise<string | null> {
  const text = execFileSync("openssl", ["crl", "-inform", "DER", "-noout", "-text"], { input: Buffer.from((await currentCrl()).der) }).toString();
  const entry = text.split(/Serial Number: /).find((e) => e.split(/\s/)[0].toLowerCase() === serial.toLowerCase());
  if (!entry) return null;
  return entry.match(/X509v3 CRL Reason Code:\s*\n\s*(.+)/)?.[1].trim() ?? "none";
}

async function token(name: string, groupId: string | null = null) {
  return t.client.enrollmentToken.create({ data: { name, groupId } });
}

/** An identity from this token for this UDID, as SCEP would issue it. */
async function identityFor(udid: string, tokenId: string | null) {
  return issueIdentity(`CN=${udid}`, { enrollmentTokenId: tokenId });
}

/** A managed victim with a group policy, a bootstrap token escrowed and one command still queued. */
async function victimDevice(groupId: string | null = null) {
  const link = await token("victim link", groupId);
  const udid = randomUdid();
  const id = await identityFor(udid, link.id);
  const sim = await simDevice(server, topic, id, { udid });
  expect((await sim.authenticate()).status).toBe(200);
  expect((await sim.tokenUpdate()).status).toBe(200);
  await sim.pollCommands();
  const set = await sim.checkin({ MessageType: "SetBootstrapToken", UDID: udid, BootstrapToken: new Uint8Array(Buffer.from("victim-bootstrap")), AwaitingConfiguration: false });
  expect(set.status).toBe(200);
  const device = await t.client.device.findUniqueOrThrow({ where: { identifier: udid } });
  const queued = await enqueueCommand(device.id, "InstallProfile", { Payload: restrictionsProfile("com.example.wifi", "Office Wi-Fi") }, { push: false });
  return { sim, udid, link, serial: id.serial, device, queuedUuid: queued.uuid };
}

const device = (udid: string) => t.client.device.findUniqueOrThrow({ where: { identifier: udid } });
const getBootstrap = async (sim: SimDevice) => {
  const r = await sim.checkin({ MessageType: "GetBootstrapToken", UDID: sim.udid });
  expect(r.status).toBe(200);
  return (parsePlistStrict(r.body) as PlistDict).BootstrapToken;
};
const lines = (udid: string) => t.client.enrollmentLog.findMany({ where: { deviceIdentifier: udid }, orderBy: [{ time: "asc" }, { id: "asc" }] });

describe("hand-over to a new identity", () => {
  it("the newcomer gets no bootstrap token, no queued command and no push credentials; the old certificate is refused; the log names both", async () => {
    await setPolicy("anyone");
    const group = await createGroup({ name: "Hand-over" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "DeviceInformation" });
    const victim = await victimDevice(group.id);

    // Another enrollment link, another key, the victim's UDID.
    const other = await token("other link", group.id);
    const newcomerId = await identityFor(victim.udid, other.id);
    const newcomer = await simDevice(server, topic, newcomerId, { udid: victim.udid });
    expect((await newcomer.authenticate()).status).toBe(200);

    let d = await device(victim.udid);
    expect(d).toMatchObject({ status: "PENDING", certSerial: newcomerId.serial, tokenId: other.id, pushToken: null, pushMagic: null, unlockTokenEnc: null, bootstrapTokenEnc: null });
    expect(await t.client.command.count({ where: { deviceId: d.id, status: { in: ["QUEUED", "SENT", "NOT_NOW"] } } })).toBe(0);
    expect(await getBootstrap(newcomer)).toBeUndefined();

    // Its TokenUpdate enrolls it with the group's policies, queued once; the victim's command never comes.
    expect((await newcomer.tokenUpdate()).status).toBe(200);
    d = await device(victim.udid);
    expect(d).toMatchObject({ status: "ENROLLED", pushToken: newcomer.pushToken.toString("hex"), pushMagic: newcomer.pushMagic });
    const handled = await newcomer.pollCommands();
    expect(handled.map((h) => h.requestType)).toEqual(["DeviceInformation"]);
    expect(handled.map((h) => h.uuid)).not.toContain(victim.queuedUuid);
    expect(await t.client.command.findUnique({ where: { uuid: victim.queuedUuid } })).toBeNull();

    // The previous certificate is revoked (superseded) and can no longer speak for the device.
    expect(await t.client.certificate.findUniqueOrThrow({ where: { serial: victim.serial } })).toMatchObject({ revokedAt: expect.any(Date) });
    expect(await crlReasonOf(victim.serial)).toBe("Superseded");
    const oldPoll = await victim.sim.report({ Status: "Idle" });
    expect(oldPoll.status).toBe(401);
    expect((await victim.sim.checkin({ MessageType: "GetBootstrapToken", UDID: victim.udid })).status).toBe(401);
    expect((await lines(victim.udid)).at(-1)).toMatchObject({ reason: "checkin_cert_revoked" });

    const warning = (await lines(victim.udid)).find((l) => l.reason === "device_reenrolled");
    expect(warning).toBeDefined();
    expect(warning).toMatchObject({ outcome: "WARNING", step: "checkin", tokenId: other.id });
    expect(warning!.remoteAddr).toMatch(/127\.0\.0\.1|::1/);
    expect(warning!.message).toContain(`from certificate ${victim.serial} (token "victim link" (${victim.link.id}))`);
    expect(warning!.message).toContain(`to certificate ${newcomerId.serial} (token "other link" (${other.id}))`);
    expect(warning!.message).toContain(`client address ${warning!.remoteAddr}`);
    expect(warning!.message).toMatch(/1 queued command\(s\) dropped; bootstrap token, push token, push magic and unlock token cleared/);
    expect(await t.client.reEnrollment.findUniqueOrThrow({ where: { newSerial: newcomerId.serial } })).toMatchObject({ status: "APPLIED", previousSerial: victim.serial, decidedBy: "automatic" });
  });

  it("through the same link it is applied at once under the default setting, and the group's policies are queued once", async () => {
    const group = await createGroup({ name: "Same link" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "DeviceInformation" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "ProfileList" });
    const victim = await victimDevice(group.id);
    expect((await getReEnrollmentSettings()).policy).toBe("same-enrollment");
    const again = await identityFor(victim.udid, victim.link.id);
    const sim = await simDevice(server, topic, again, { udid: victim.udid });
    expect((await sim.authenticate()).status).toBe(200);
    // Two TokenUpdates (a retry): the policies are still queued only once.
    expect((await sim.tokenUpdate()).status).toBe(200);
    expect((await sim.tokenUpdate()).status).toBe(200);
    const d = await device(victim.udid);
    const live = await t.client.command.findMany({ where: { deviceId: d.id, status: "QUEUED" }, orderBy: { createdAt: "asc" } });
    expect(live.map((c) => c.requestType)).toEqual(["DeviceInformation", "ProfileList"]);
    expect((await victim.sim.report({ Status: "Idle" })).status).toBe(401);
    expect((await lines(victim.udid)).find((l) => l.reason === "device_reenrolled")?.message).toMatch(/^Re-enrollment \(same enrollment token\)/);
  });
});

describe("the same identity again", () => {
  it("a repeated Authenticate drops the old queue, so its TokenUpdate queues the group's policies once", async () => {
    const group = await createGroup({ name: "Again" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "DeviceInformation" });
    const link = await token("again link", group.id);
    const udid = randomUdid();
    const sim = await simDevice(server, topic, await identityFor(udid, link.id), { udid });
    await sim.authenticate();
    await sim.tokenUpdate();
    expect((await sim.authenticate()).status).toBe(200);
    expect((await sim.tokenUpdate()).status).toBe(200);
    const d = await device(udid);
    expect((await t.client.command.findMany({ where: { deviceId: d.id, status: "QUEUED" } })).map((c) => c.requestType)).toEqual(["DeviceInformation"]);
    expect(await t.client.reEnrollment.count({ where: { deviceId: d.id } })).toBe(0);
  });
});

describe("held for approval", () => {
  it("an identity from another link waits (200, nothing handed over); the device keeps its identity; approve hands it over with its TokenUpdate", async () => {
    const group = await createGroup({ name: "Held" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "SecurityInfo" });
    const victim = await victimDevice(group.id);
    const other = await token("stranger link", group.id);
    const strangerId = await identityFor(victim.udid, other.id);
    const stranger = await simDevice(server, topic, strangerId, { udid: victim.udid });

    expect((await stranger.authenticate()).status).toBe(200);
    const held = await t.client.reEnrollment.findUniqueOrThrow({ where: { newSerial: strangerId.serial } });
    expect(held).toMatchObject({ status: "PENDING", previousSerial: victim.serial, newTokenId: other.id, previousTokenId: victim.link.id });
    const heldLine = (await lines(victim.udid)).find((l) => l.reason === "reenrollment_held");
    expect(heldLine?.message).toContain(victim.serial);
    expect(heldLine?.message).toContain(strangerId.serial);

    // Every answer is a 200 with nothing in it; what it sends is kept on the hold, not the device.
    expect(await getBootstrap(stranger)).toBeUndefined();
    expect((await stranger.tokenUpdate()).status).toBe(200);
    const poll = await stranger.report({ Status: "Idle" });
    expect(poll.status).toBe(200);
    expect(poll.command).toBeNull();
    let d = await device(victim.udid);
    expect(d).toMatchObject({ certSerial: victim.serial, pushMagic: victim.sim.pushMagic, tokenId: victim.link.id });
    expect(d.bootstrapTokenEnc).not.toBeNull();

    // The device itself carries on: its queued command, its bootstrap token.
    const victimPoll = await victim.sim.report({ Status: "Idle" });
    expect(victimPoll.command?.CommandUUID).toBe(victim.queuedUuid);
    expect(Buffer.from((await getBootstrap(victim.sim)) as Uint8Array).toString()).toBe("victim-bootstrap");

    await approveReEnrollment(held.id, "admin@example.com");
    d = await device(victim.udid);
    expect(d).toMatchObject({
      status: "ENROLLED",
      certSerial: strangerId.serial,
      tokenId: other.id,
      pushToken: stranger.pushToken.toString("hex"),
      pushMagic: stranger.pushMagic,
      bootstrapTokenEnc: null,
    });
    expect(await getBootstrap(stranger)).toBeUndefined();
    const handled = await stranger.pollCommands();
    expect(handled.map((h) => h.requestType)).toEqual(["SecurityInfo"]);
    expect((await victim.sim.report({ Status: "Idle" })).status).toBe(401);
    expect(await t.client.reEnrollment.findUniqueOrThrow({ where: { id: held.id } })).toMatchObject({ status: "APPLIED", decidedBy: "admin@example.com", pushToken: null });
    await expect(approveReEnrollment(held.id, "admin@example.com")).rejects.toMatchObject({ status: 409 });
  });

  it("deny revokes the new certificate and leaves the device as it was", async () => {
    const victim = await victimDevice();
    const strangerId = await identityFor(victim.udid, (await token("another link")).id);
    const stranger = await simDevice(server, topic, strangerId, { udid: victim.udid });
    expect((await stranger.authenticate()).status).toBe(200);
    const held = await t.client.reEnrollment.findUniqueOrThrow({ where: { newSerial: strangerId.serial } });
    await denyReEnrollment(held.id, "admin@example.com");
    expect((await stranger.report({ Status: "Idle" })).status).toBe(401);
    expect((await victim.sim.report({ Status: "Idle" })).command?.CommandUUID).toBe(victim.queuedUuid);
    expect(await device(victim.udid)).toMatchObject({ certSerial: victim.serial });
    expect((await lines(victim.udid)).find((l) => l.reason === "reenrollment_denied")?.message).toContain(strangerId.serial);
    await expect(denyReEnrollment(held.id, "admin@example.com")).rejects.toMatchObject({ status: 409 });
  });

  it("a STATIC-challenge identity (no token, no user) is never the same enrollment; 'approval' holds even the same link", async () => {
    const victim = await victimDevice();
    const anonymous = await simDevice(server, topic, await identityFor(victim.udid, null), { udid: victim.udid });
    expect((await anonymous.authenticate()).status).toBe(200);
    expect((await t.client.reEnrollment.findFirstOrThrow({ where: { deviceId: victim.device.id } })).status).toBe("PENDING");

    await setPolicy("approval");
    const sameLink = await simDevice(server, topic, await identityFor(victim.udid, victim.link.id), { udid: victim.udid });
    expect((await sameLink.authenticate()).status).toBe(200);
    expect(await t.client.reEnrollment.count({ where: { deviceId: victim.device.id, status: "PENDING" } })).toBe(2);
    expect(await device(victim.udid)).toMatchObject({ certSerial: victim.serial });
  });

  it("a held identity that checks out withdraws its hold; a device that checked out is re-enrolled at once, clean", async () => {
    const victim = await victimDevice();
    const stranger = await simDevice(server, topic, await identityFor(victim.udid, (await token("withdrawn link")).id), { udid: victim.udid });
    await stranger.authenticate();
    expect((await stranger.checkOut()).status).toBe(200);
    const withdrawn = await t.client.reEnrollment.findFirstOrThrow({ where: { deviceId: victim.device.id } });
    expect(withdrawn).toMatchObject({ status: "DENIED", decidedBy: "the device (CheckOut)" });
    expect((await stranger.report({ Status: "Idle" })).status).toBe(401);
    expect(await device(victim.udid)).toMatchObject({ certSerial: victim.serial, status: victim.device.status });

    // Once the device itself checked out, even "approval" lets a new identity in, with nothing of the old one.
    await setPolicy("approval");
    expect((await victim.sim.checkOut()).status).toBe(200);
    const next = await simDevice(server, topic, await identityFor(victim.udid, (await token("after checkout")).id), { udid: victim.udid });
    expect((await next.authenticate()).status).toBe(200);
    expect(await device(victim.udid)).toMatchObject({ status: "PENDING", bootstrapTokenEnc: null, pushToken: null, unlockTokenEnc: null });
    expect(await getBootstrap(next)).toBeUndefined();
    expect((await lines(victim.udid)).filter((l) => l.reason === "device_reenrolled").at(-1)?.message).toMatch(/^Re-enrollment \(the device had checked out\)/);
  });

  it("the rule itself", () => {
    const known = { status: "MANAGED" as const, tokenId: "t1", userId: null };
    expect(reEnrollmentVerdict(known, { tokenId: "t1", userId: null }, "same-enrollment").apply).toBe(true);
    expect(reEnrollmentVerdict(known, { tokenId: "t2", userId: null }, "same-enrollment").apply).toBe(false);
    expect(reEnrollmentVerdict({ ...known, tokenId: null, userId: "u1" }, { tokenId: null, userId: "u1" }, "same-enrollment").apply).toBe(true);
    expect(reEnrollmentVerdict({ ...known, tokenId: null }, { tokenId: null, userId: null }, "same-enrollment").apply).toBe(false);
    expect(reEnrollmentVerdict(known, { tokenId: "t2", userId: null }, "anyone").apply).toBe(true);
    expect(reEnrollmentVerdict(known, { tokenId: "t1", userId: null }, "approval").apply).toBe(false);
    expect(reEnrollmentVerdict({ ...known, status: "UNENROLLED" }, { tokenId: "t2", userId: null }, "approval").apply).toBe(true);
  });
});
