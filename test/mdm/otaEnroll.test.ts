// Done-when: the simulator enrolls end to end from an OTA token over real HTTP (the shipped
// route handlers for the profile download, SCEP and both MDM endpoints): it ends MANAGED,
// in the token's group, with the group's policies acknowledged, and the enrollment log
// shows each step. Every check-in we accept and every command we send matches Apple's schemas.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";
import { createGroup } from "@/lib/mdm/groups";
import { addPolicy } from "@/lib/mdm/policies";
import { validateCheckin, validateCommand, validateCommandResponse } from "@/lib/profiles/appleSchema";
import { config } from "@/lib/config";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { serveOtaEnrollment } from "./helpers";
import { SimDevice } from "@/test/sim/device";
import { signProfile } from "@/lib/profiles/signProfile";
import { restrictionsProfile } from "./fixtures/profiles";
import { createScepProfile } from "@/lib/scep/profiles";
import { signEnrollmentRef } from "@/lib/enrollment/enrollmentRef";

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

describe("OTA enrollment with the device simulator", () => {
  it("enrolls from the short link (/e/<id>): the page's one form carries the token, and the device lands in the token's group", async () => {
    const group = await createGroup({ name: "Poster iPhones" });
    const { id: tokenId, shortUrl } = await createEnrollmentToken({ name: "Poster", expiresIn: "7d", groupId: group.id, maxUses: 1 });
    const publicUrl = config().publicUrl;
    const sim = new SimDevice({ rewriteUrl: (u) => u.replace(publicUrl, server.url) });
    await sim.enrollOta(shortUrl);
    expect(sim.checkInUrl).toMatch(new RegExp(`^${server.url}/mdm/checkin\\?e=t\\.${tokenId}\\.`));
    const device = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
    expect(device).toMatchObject({ tokenId, groupId: group.id });
    // Used up: the short link now answers with the plain-words page, like the full link.
    const again = await fetch(shortUrl.replace(publicUrl, server.url));
    expect(again.status).toBe(410);
    expect(await again.text()).toContain("This link has been used up");
  });

  it("enrolls from the token URL to MANAGED in the token's group with its policies acknowledged", async () => {
    const group = await createGroup({ name: "Field iPhones" });
    // A signed profile, as admins usually upload them; the device verifies it before installing.
    await addPolicy(group.id, { kind: "PROFILE", mobileconfig: await signProfile(restrictionsProfile("com.example.field.restrictions", "Field restrictions")) });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "DeviceInformation" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "ProfileList" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "SecurityInfo" });
    const { id: tokenId, url } = await createEnrollmentToken({ name: "Field", expiresIn: "7d", groupId: group.id, maxUses: 5 });

    const publicUrl = config().publicUrl;
    const sim = new SimDevice({ rewriteUrl: (u) => u.replace(publicUrl, server.url) });
    const { profile, commands } = await sim.enrollOta(url);

    expect(profile.PayloadType).toBe("Configuration");
    expect(sim.checkInUrl).toMatch(new RegExp(`^${server.url}/mdm/checkin\\?e=t\\.${tokenId}\\.`));
    expect(sim.serverUrl).toMatch(new RegExp(`^${server.url}/mdm/connect\\?e=t\\.${tokenId}\\.`));
    for (const m of [sim.authenticateMessage(), sim.tokenUpdateMessage()]) expect(validateCheckin(String(m.MessageType), m)).toEqual([]);

    expect(commands.map((c) => [c.requestType, c.status])).toEqual([
      ["InstallProfile", "Acknowledged"],
      ["DeviceInformation", "Acknowledged"],
      ["ProfileList", "Acknowledged"],
      ["SecurityInfo", "Acknowledged"],
    ]);
    for (const c of commands) {
      expect(validateCommand(c.requestType, { CommandUUID: c.uuid, Command: c.command })).toEqual([]);
      expect(validateCommandResponse(c.requestType, c.response)).toEqual([]);
    }
    // The device now reports both profiles: the enrollment profile and the group's.
    const listed = commands.find((c) => c.requestType === "ProfileList")!.response.ProfileList as { PayloadIdentifier: string }[];
    expect(listed.map((p) => p.PayloadIdentifier)).toEqual([String(profile.PayloadIdentifier), "com.example.field.restrictions"]);

    const device = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid }, include: { certificates: true } });
    expect(device).toMatchObject({ status: "MANAGED", groupId: group.id, tokenId, serialNumber: sim.serialNumber, enrollmentType: "OTA" });
    expect(device.certificates).toHaveLength(1);
    expect(device.certificates[0]).toMatchObject({ enrollmentTokenId: tokenId, serial: device.certSerial });
    const policies = await t.client.command.findMany({ where: { deviceId: device.id }, orderBy: { createdAt: "asc" } });
    expect(policies.every((c) => c.status === "ACKNOWLEDGED" && c.policyId)).toBe(true);
    expect(JSON.parse(device.installedProfiles ?? "[]")).toHaveLength(2);

    const log = await t.client.enrollmentLog.findMany({ where: { OR: [{ tokenId }, { deviceIdentifier: sim.udid }] }, orderBy: [{ time: "asc" }, { id: "asc" }] });
    const steps = log.map((l) => `${l.step}:${l.outcome}`);
    expect(log.filter((l) => l.outcome !== "OK").map((l) => `${l.step} ${l.outcome} ${l.reason} ${l.message}`)).toEqual([]);
    // Each step, in order: challenge and profile download, certificate, Authenticate, TokenUpdate, managed.
    expect(steps).toEqual(["ota.challenge:OK", "ota.profile:OK", "scep:OK", "checkin:OK", "checkin:OK", "command:OK"]);
    expect(log.map((l) => l.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Authenticate from iPhone/), expect.stringMatching(/^TokenUpdate: device enrolled/), expect.stringMatching(/acknowledged: device is managed/)]),
    );

    // A second poll has nothing left to do.
    expect(await sim.pollCommands()).toEqual([]);
  });

  it("links a STATIC-challenge enrollment to its token through the enrollment reference: the token's group applies", async () => {
    const group = await createGroup({ name: "Static kiosks" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "DeviceInformation" });
    const scep = await createScepProfile({ name: "Kiosk static", challengeType: "STATIC", staticChallenge: "kiosk-shared-secret-1", subjectTemplate: "CN=$UDID" });
    const { id: tokenId, url } = await createEnrollmentToken({ name: "Kiosks", expiresIn: "7d", groupId: group.id, scepProfileId: scep.profile.id });

    const publicUrl = config().publicUrl;
    const sim = new SimDevice({ rewriteUrl: (u) => u.replace(publicUrl, server.url) });
    const { commands } = await sim.enrollOta(url);
    expect(commands.map((c) => [c.requestType, c.status])).toEqual([["DeviceInformation", "Acknowledged"]]);

    const device = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid }, include: { certificates: true } });
    expect(device).toMatchObject({ status: "MANAGED", groupId: group.id, tokenId });
    // The static challenge says nothing about the token: the certificate carries no link.
    expect(device.certificates[0].enrollmentTokenId).toBeNull();
    const lines = await t.client.enrollmentLog.findMany({ where: { deviceIdentifier: sim.udid }, orderBy: [{ time: "asc" }, { id: "asc" }] });
    expect(lines.filter((l) => l.outcome !== "OK")).toEqual([]);
    expect(lines[0].message).toMatch(/^Authenticate .*token from the enrollment reference/);
    // Later lines of the device name the token too.
    expect(lines.every((l) => l.tokenId === tokenId)).toBe(true);
  });

  it("ignores a tampered or forged enrollment reference, with a warning on the device's timeline", async () => {
    const scep = await createScepProfile({ name: "Static 2", challengeType: "STATIC", staticChallenge: "another-shared-secret", subjectTemplate: "CN=$UDID" });
    const plain = await createEnrollmentToken({ name: "No group", expiresIn: "7d", scepProfileId: scep.profile.id });
    const privileged = await createGroup({ name: "Privileged" });
    const target = await createEnrollmentToken({ name: "Privileged", expiresIn: "7d", groupId: privileged.id, scepProfileId: scep.profile.id });

    const publicUrl = config().publicUrl;
    const cases: [string, (ref: string) => string][] = [
      // The ref of the group-less token, re-pointed at the privileged token with the old MAC.
      ["tampered id", (ref) => ref.replace(`t.${plain.id}.`, `t.${target.id}.`)],
      // A made-up MAC.
      ["forged mac", () => `t.${target.id}.AAAAAAAAAAAAAAAAAAAAAA`],
      ["garbage", () => "not-a-reference"],
    ];
    for (const [what, mutate] of cases) {
      const rewrite = (u: string) => {
        const x = new URL(u.replace(publicUrl, server.url));
        const e = x.searchParams.get("e");
        if (e) x.searchParams.set("e", mutate(e));
        return x.toString();
      };
      const sim = new SimDevice({ rewriteUrl: rewrite });
      await sim.enrollOta(plain.url);
      const device = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
      expect(device, what).toMatchObject({ status: "ENROLLED", groupId: null, tokenId: null });
      const warning = await t.client.enrollmentLog.findFirstOrThrow({ where: { deviceIdentifier: sim.udid, outcome: "WARNING" } });
      expect(warning, what).toMatchObject({ step: "checkin", reason: "enrollment_ref_ignored" });
      expect(warning.message, what).toMatch(/enrollment reference in the check-in URL ignored: (its signature does not verify|not in this server's format)/);
    }
  });

  it("the certificate's token wins over a (valid) reference to another token", async () => {
    const groupA = await createGroup({ name: "A devices" });
    const groupB = await createGroup({ name: "B devices" });
    const a = await createEnrollmentToken({ name: "A", expiresIn: "7d", groupId: groupA.id });
    const b = await createEnrollmentToken({ name: "B", expiresIn: "7d", groupId: groupB.id });
    const publicUrl = config().publicUrl;
    const rewrite = (u: string) => {
      const x = new URL(u.replace(publicUrl, server.url));
      if (x.searchParams.has("e")) x.searchParams.set("e", signEnrollmentRef({ kind: "token", tokenId: b.id }));
      return x.toString();
    };
    const sim = new SimDevice({ rewriteUrl: rewrite });
    await sim.enrollOta(a.url); // default OTA SCEP profile: one-time challenge issued for token A
    const device = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
    expect(device).toMatchObject({ groupId: groupA.id, tokenId: a.id });
    const warning = await t.client.enrollmentLog.findFirstOrThrow({ where: { deviceIdentifier: sim.udid, outcome: "WARNING" } });
    expect(warning.message).toContain(`names token ${b.id}, but the identity certificate was issued for token ${a.id}`);
  });
});
