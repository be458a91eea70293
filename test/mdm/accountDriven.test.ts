// Seed 003 step 19 from the MDM side: account-driven devices send the access token on every
// check-in and command request (a Mac's device channel is the exception, but only when the
// server's record of its enroll request says Mac: test/adde/checkin.test.ts). Authenticate
// records the user and the enrollment type (user enrollment keyed on EnrollmentID, device
// enrollment on UDID) and puts the device in the routing rule's group; requests without the
// token, or with another user's, are refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueAccessToken } from "@/lib/enrollment/accessTokens";
import { createRoute } from "@/lib/enrollment/routes";
import { putUser } from "@/lib/enrollment/users";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { createGroup } from "@/lib/mdm/groups";
import { addPolicy } from "@/lib/mdm/policies";
import { validateCheckin } from "@/lib/profiles/appleSchema";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { issueIdentity, randomUdid, serveMdm, simDevice } from "./helpers";

let t: TestDb;
let server: RouteServer;
let topic: string;
let groupId: string;

beforeAll(async () => {
  t = await createTestDb();
  server = await serveMdm();
  topic = await currentMdmTopic();
  groupId = (await createGroup({ name: "BYOD phones" })).id;
  await addPolicy(groupId, { kind: "COMMAND", requestType: "ProfileList" });
  await createRoute({ domain: "example.com", modelFamily: "iPhone", version: "mdm-byod", groupId });
  await createRoute({ domain: "example.com", version: "mdm-adde" });
  await putUser("kim@example.com", { password: "kim-password-1", managedAppleId: "kim@appleid.example.com" });
  await putUser("lee@example.com", { password: "lee-password-1", managedAppleId: "lee@appleid.example.com" });
});
afterAll(async () => {
  await server.close();
  await t.close();
});

const userId = async (identifier: string) => (await t.client.user.findUniqueOrThrow({ where: { identifier } })).id;

describe("account-driven devices", () => {
  it("user enrollment: EnrollmentID, USER_ENROLLMENT, the route's group, bearer on every request", async () => {
    const kim = await userId("kim@example.com");
    let bearer: string | null = await issueAccessToken(kim, "mdm-byod");
    const identity = await issueIdentity("CN=byod-kim", { userId: kim });
    const sim = await simDevice(server, topic, identity, { mode: "user-enrollment", bearer: () => bearer });
    for (const m of [sim.authenticateMessage(), sim.tokenUpdateMessage()]) expect(validateCheckin(String(m.MessageType), m, { userEnrollment: true })).toEqual([]);

    expect((await sim.authenticate()).status).toBe(200);
    const d = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.enrollmentId } });
    expect(d).toMatchObject({ enrollmentId: sim.enrollmentId, udid: null, serialNumber: null, enrollmentType: "USER_ENROLLMENT", userId: kim, groupId, status: "PENDING" });
    expect((await sim.tokenUpdate()).status).toBe(200);
    expect((await sim.pollCommands()).map((c) => [c.requestType, c.status])).toEqual([["ProfileList", "Acknowledged"]]);
    expect((await t.client.device.findUniqueOrThrow({ where: { id: d.id } })).status).toBe("MANAGED");

    // Without the token, with a malformed one, or with another user's: 401 and a log line.
    bearer = null;
    expect((await sim.report({ Status: "Idle" })).status).toBe(401);
    expect((await t.client.enrollmentLog.findFirst({ orderBy: [{ time: "desc" }, { id: "desc" }] }))?.reason).toBe("access_token_invalid");
    bearer = "ada_not-a-real-token";
    expect((await sim.tokenUpdate()).status).toBe(401);
    bearer = await issueAccessToken(await userId("lee@example.com"), "mdm-byod");
    const other = await sim.report({ Status: "Idle" });
    expect(other.status).toBe(401);
    // The 401 repeats the enrollment's sign-in challenge, so the device can sign in again.
    expect(other.headers.get("www-authenticate")).toMatch(/^Bearer method="apple-as-web", url="https:\/\/mdm\.example\.test\/.+"/);
    bearer = await issueAccessToken(kim, "mdm-byod");
    expect((await sim.report({ Status: "Idle" })).status).toBe(200);
  });

  it("device enrollment (ADDE): UDID, DEVICE_ENROLLMENT, no group when the rule names none", async () => {
    const kim = await userId("kim@example.com");
    const bearer = await issueAccessToken(kim, "mdm-adde");
    const udid = randomUdid();
    const sim = await simDevice(server, topic, await issueIdentity(`CN=${udid}`, { userId: kim }), { udid, bearer, productName: "Mac15,3", model: "Mac15,3", modelName: "MacBook Pro" });
    expect((await sim.authenticate()).status).toBe(200);
    expect(await t.client.device.findUniqueOrThrow({ where: { identifier: udid } })).toMatchObject({ enrollmentType: "DEVICE_ENROLLMENT", userId: kim, groupId: null, platform: "macOS" });
    expect((await sim.tokenUpdate()).status).toBe(200);

    // Another user, with a valid token and certificate of their own, cannot take the device
    // over, under any re-enrollment setting: refused outright (not even held for approval),
    // and the device stays Kim's.
    const lee = await userId("lee@example.com");
    const kimsSerial = (await t.client.device.findUniqueOrThrow({ where: { identifier: udid } })).certSerial;
    const thief = await simDevice(server, topic, await issueIdentity(`CN=${udid}`, { userId: lee }), { udid, bearer: await issueAccessToken(lee, "mdm-adde") });
    expect((await thief.authenticate()).status).toBe(401);
    expect(await t.client.device.findUniqueOrThrow({ where: { identifier: udid } })).toMatchObject({ userId: kim, certSerial: kimsSerial });
    expect(await t.client.reEnrollment.count({ where: { device: { identifier: udid } } })).toBe(0);
    expect((await thief.report({ Status: "Idle" })).status).toBe(401);

    // The account-driven certificate cannot be used without the token, even at Authenticate and
    // although the message says Mac: no enroll request on record names a Mac for this enrollment.
    const bare = await simDevice(server, topic, sim.identity!, { udid });
    expect((await bare.authenticate()).status).toBe(401);
  });

  it("a bearer sent by an OTA device is checked too", async () => {
    const udid = randomUdid();
    const sim = await simDevice(server, topic, await issueIdentity(`CN=${udid}`), { udid, bearer: "ada_forged" });
    expect((await sim.authenticate()).status).toBe(401);
  });
});
