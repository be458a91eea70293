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
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";
import { SimDevice } from "@/test/sim/device";
import { signProfile } from "@/lib/profiles/signProfile";
import { restrictionsProfile } from "./fixtures/profiles";

let t: TestDb;
let server: RouteServer;

beforeAll(async () => {
  t = await createTestDb();
  server = await serveRouteImports({
    "/enroll/profile": import("@/app/enroll/profile/route"),
    "/scep/[id]": import("@/app/scep/[id]/route"),
    "/mdm/checkin": import("@/app/mdm/checkin/route"),
    "/mdm/connect": import("@/app/mdm/connect/route"),
  });
});
afterAll(async () => {
  await server.close();
  await t.close();
});

describe("OTA enrollment with the device simulator", () => {
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
    expect(sim.checkInUrl).toBe(`${server.url}/mdm/checkin`);
    expect(sim.serverUrl).toBe(`${server.url}/mdm/connect`);
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
});
