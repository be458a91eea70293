// Ongoing authorization (seed 003 step 19; Apple, "Onboarding users with account sign-in"):
// after account-driven enrollment an iPhone sends the access token on every MDM request, a
// Mac only on its user channel (its device channel rests on the identity certificate).
// Check-ins with it succeed; after an admin invalidates the user's tokens they get 401 until
// the person signs in again; CheckOut lands regardless. The whole chain is real: the profile's
// SCEP payload → SCEP exchange with its one-time challenge (the certificate is bound to the
// user) → the MDM helper's check-in route and device simulator.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { createRoute } from "@/lib/enrollment/routes";
import { putUser } from "@/lib/enrollment/users";
import { createTestDb, type TestDb } from "../helpers/db";
import { serveRouteImports, type RouteServer } from "../helpers/routeServer";
import { parse as parsePlist } from "plist";
import { verifySignedData } from "@/lib/pki/cms";
import { scepEnroll } from "../helpers/scepClient";
import { serveMdm, simDevice } from "../mdm/helpers";
import { discover, ENROLL_BODY, enrollPost, form, startAddeServer, tokenFromResultLocation } from "./deviceClient";
import { createApiKey } from "@/lib/auth/apiKeys";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { bearerFetch } from "../helpers/adminApi";
import { hashToken } from "@/lib/enrollment/accessTokens";
import { addPolicy } from "@/lib/mdm/policies";
import { parsePlistStrict } from "@/lib/plist/plist";
import { parseBearerChallenge } from "./deviceClient";
import { approveReEnrollment } from "@/lib/mdm/reenrollment";
import { updateReEnrollmentSettings } from "@/lib/settings/reenrollment";

let t: TestDb;
let adde: RouteServer;
let mdm: RouteServer;
let scep: RouteServer;
let adminKey: string;
let macGroupId: string;
let byodMacGroupId: string;

const PAT = { identifier: "pat@example.com", password: "pat-password-1" };
const KAI = { identifier: "kai@example.org", password: "kai-password-1" };
/** The enroll request body of a Mac (PRODUCT names the model, VERSION the macOS build). */
const MAC_ENROLL_BODY = ENROLL_BODY.replace("iPhone17,2", "Mac16,1").replace("19A240", "24C101");
/** What a MacBook Pro puts in its Authenticate (Model, ModelName and DeviceName are macOS-only keys). */
const MAC = { productName: "Mac16,1", model: "Mac16,1", modelName: "MacBook Pro", deviceName: "Pat's MacBook Pro", osVersion: "15.2", buildVersion: "24C101", bearerOnDeviceChannel: false } as const;

beforeAll(async () => {
  t = await createTestDb();
  adde = await startAddeServer();
  mdm = await serveMdm();
  scep = await serveRouteImports({ "/scep/[id]": import("@/app/scep/[id]/route") });
  macGroupId = (await db().deviceGroup.create({ data: { name: "Company Macs" } })).id;
  await addPolicy(macGroupId, { kind: "COMMAND", requestType: "ProfileList" });
  byodMacGroupId = (await db().deviceGroup.create({ data: { name: "Personal Macs" } })).id;
  await addPolicy(byodMacGroupId, { kind: "COMMAND", requestType: "SecurityInfo" });
  await createRoute({ domain: "example.com", modelFamily: "Mac", version: "mdm-adde", groupId: macGroupId });
  await createRoute({ domain: "example.com", version: "mdm-byod" });
  await createRoute({ domain: "example.org", modelFamily: "Mac", version: "mdm-byod", groupId: byodMacGroupId });
  await putUser("pat@example.com", { password: "pat-password-1", managedAppleId: "pat@appleid.example.com" });
  await putUser("kai@example.org", { password: "kai-password-1", managedAppleId: "kai@appleid.example.com" });
  adminKey = (await createApiKey("checkin-test", "ADMIN")).key;
});

afterAll(async () => {
  await adde?.close();
  await mdm?.close();
  await scep?.close();
  await t?.close();
});

async function signIn(mode: string, who = PAT): Promise<string> {
  const res = await fetch(`${adde.url}/authenticate/local`, form({ identifier: who.identifier, mode, password: who.password }));
  expect(res.status).toBe(308);
  return tokenFromResultLocation(res.headers.get("location"));
}

async function enrollAndGetIdentity(family: string, enrollBody?: string, who = PAT) {
  const doc = (await (await discover(adde, who.identifier, family)).json()) as { Servers: { Version: string; BaseURL: string }[] };
  const { Version, BaseURL } = doc.Servers[0];
  const token = await signIn(Version === "mdm-adde" ? "adde" : "byod", who);
  const res = await enrollPost(adde, BaseURL, { token, body: enrollBody });
  expect(res.status).toBe(200);
  const { content } = await verifySignedData(new Uint8Array(await res.arrayBuffer()));
  const top = parsePlist(new TextDecoder().decode(content)) as { PayloadContent: Record<string, unknown>[] };
  const payload = top.PayloadContent.find((p) => p.PayloadType === "com.apple.security.scep")!.PayloadContent as { URL: string; Challenge: string; Subject: string[][][]; Keysize: number };
  const mdmPayload = top.PayloadContent.find((p) => p.PayloadType === "com.apple.mdm") as { CheckInURL: string; ServerURL: string };
  // The profile's MDM URLs, pointed at the test server (query string and all).
  const toTest = (u: string) => `${mdm.url}${new URL(u).pathname}${new URL(u).search}`;
  const urls = { checkInUrl: toTest(mdmPayload.CheckInURL), serverUrl: toTest(mdmPayload.ServerURL) };
  const user = await db().user.findUniqueOrThrow({ where: { identifier: who.identifier } });
  // No SCEP profile chosen: the shared default DYNAMIC profile issued a one-time challenge to this user.
  const challenges = await db().scepChallenge.findMany({ where: { userId: user.id, usedAt: null }, include: { profile: true } });
  expect(challenges.length).toBeGreaterThan(0);
  expect(challenges.every((c) => c.profile.name === "OTA default" && c.profile.challengeType === "DYNAMIC")).toBe(true);

  // The device's SCEP exchange, with the profile's URL, challenge and subject.
  const url = new URL(payload.URL);
  const scepUrl = `${scep.url}${url.pathname}`;
  const subject = payload.Subject.map((rdn) => rdn.map(([k, v]) => `${k}=${v}`).join("+")).join(",");
  const issued = await scepEnroll({ url: scepUrl, challenge: payload.Challenge, subject, keySize: payload.Keysize });
  const cert = await db().certificate.findFirstOrThrow({ where: { userId: user.id }, orderBy: { issuedAt: "desc" } });
  expect(Buffer.from(cert.der).equals(Buffer.from(issued.certDer))).toBe(true);
  expect(await db().scepChallenge.count({ where: { userId: user.id, usedAt: { not: null } } })).toBeGreaterThan(0);
  const identity = { certDer: issued.certDer, privateKeyPem: issued.privateKeyPem };
  return { Version, token, identity, urls };
}

describe("check-ins of account-driven devices", () => {
  it("user enrollment: accepted with the token, 401 after the admin invalidates it, accepted again after a new sign-in", async () => {
    const { token, identity } = await enrollAndGetIdentity("iPhone");
    let bearer: string | null = token;
    const device = await simDevice(mdm, "com.apple.mgmt.External.test", identity, { mode: "user-enrollment", bearer: () => bearer });
    expect((await device.authenticate()).status).toBe(200);
    expect((await device.tokenUpdate()).status).toBe(200);

    const revoke = await bearerFetch(adde)("/api/v1/users/pat@example.com/revoke-tokens", adminKey, { method: "POST" });
    expect(revoke.status).toBe(200);
    const refused = await device.tokenUpdate();
    expect(refused.status).toBe(401);
    const line = await db().enrollmentLog.findFirst({ where: { step: "checkin", reason: "tokens_revoked_by_admin" } });
    expect(line).not.toBeNull();

    // No token at all is refused too.
    bearer = null;
    expect((await device.tokenUpdate()).status).toBe(401);

    // The person signs in again (the device runs the web flow); the new token works.
    bearer = await signIn("byod");
    expect((await device.tokenUpdate()).status).toBe(200);
  });

  it("device enrollment (ADDE): a foreign or malformed bearer is refused", async () => {
    const { Version, token, identity } = await enrollAndGetIdentity("Mac");
    expect(Version).toBe("mdm-adde");
    let bearer = token;
    const device = await simDevice(mdm, "com.apple.mgmt.External.test", identity, { mode: "device", bearer: () => bearer, productName: "Mac16,1" });
    expect((await device.authenticate()).status).toBe(200);
    expect((await device.tokenUpdate()).status).toBe(200);
    // The routing rule's device group applies to the enrolled Mac.
    const row = await db().device.findUniqueOrThrow({ where: { identifier: device.identifier } });
    expect(row).toMatchObject({ groupId: macGroupId, enrollmentType: "DEVICE_ENROLLMENT" });
    bearer = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJwYXQifQ.";
    expect((await device.tokenUpdate()).status).toBe(401);
    bearer = "ada_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    expect((await device.tokenUpdate()).status).toBe(401);
  });

  it("keeps the enroll request's PRODUCT and VERSION server-side and fills them in when Authenticate lacks them", async () => {
    const body = ENROLL_BODY.replace("iPhone17,2", "Mac16,1").replace("19A240", "25A354").replace("en-US", "de-CH");
    const { Version, token, identity, urls } = await enrollAndGetIdentity("Mac", body);
    expect(Version).toBe("mdm-adde");
    // The enroll request's details are not in the profile's URLs, only a reference to them.
    expect(urls.checkInUrl).not.toMatch(/Mac16|25A354/);
    const device = await simDevice(mdm, await currentMdmTopic(), identity, { mode: "device", bearer: () => token, ...urls });
    const message = device.authenticateMessage();
    delete message.ProductName;
    delete message.BuildVersion;
    delete message.Model;
    expect((await device.checkin(message)).status).toBe(200);
    const row = await db().device.findUniqueOrThrow({ where: { identifier: device.identifier } });
    // PRODUCT names the model family, so the Mac routing rule's group applies as well.
    expect(row).toMatchObject({ productName: "Mac16,1", buildVersion: "25A354", platform: "macOS", groupId: macGroupId, osVersion: device.osVersion });
    const lines = await db().enrollmentLog.findMany({ where: { deviceIdentifier: device.identifier } });
    expect(lines.filter((l) => l.outcome !== "OK")).toEqual([]);

    // The device's own keys win over the enroll request.
    expect((await device.authenticate()).status).toBe(200);
    expect(await db().device.findUniqueOrThrow({ where: { identifier: device.identifier } })).toMatchObject({ productName: device.productName, buildVersion: device.buildVersion });
  });

  it("another user's enrollment reference is ignored with a warning", async () => {
    const first = await enrollAndGetIdentity("iPhone");
    await putUser("sam@example.com", { password: "sam-password-12", managedAppleId: "sam@appleid.example.com" });
    const res = await fetch(`${adde.url}/authenticate/local`, form({ identifier: "sam@example.com", mode: "byod", password: "sam-password-12" }));
    const samToken = tokenFromResultLocation(res.headers.get("location"));
    const samProfile = await enrollPost(adde, "https://mdm.example.test/adde/byod", { token: samToken, body: ENROLL_BODY.replace("iPhone17,2", "iPad16,3") });
    expect(samProfile.status).toBe(200);
    const { content } = await verifySignedData(new Uint8Array(await samProfile.arrayBuffer()));
    const top = parsePlist(new TextDecoder().decode(content)) as { PayloadContent: Record<string, unknown>[] };
    const samCheckIn = new URL((top.PayloadContent.find((p) => p.PayloadType === "com.apple.mdm") as { CheckInURL: string }).CheckInURL);
    // Pat's device, with Pat's token, but Sam's (genuine) reference in the URL.
    const device = await simDevice(mdm, "com.apple.mgmt.External.test", first.identity, {
      mode: "user-enrollment",
      bearer: () => first.token,
      checkInUrl: `${mdm.url}/mdm/checkin${samCheckIn.search}`,
    });
    const message = device.authenticateMessage();
    delete message.ProductName;
    expect((await device.checkin(message)).status).toBe(200);
    const row = await db().device.findUniqueOrThrow({ where: { identifier: device.identifier } });
    expect(row.productName).toBeNull();
    const warning = await db().enrollmentLog.findFirstOrThrow({ where: { deviceIdentifier: device.identifier, outcome: "WARNING" } });
    expect(warning).toMatchObject({ reason: "enrollment_ref_ignored" });
    expect(warning.message).toContain("another user's account-driven enrollment");
  });

  it("macOS device enrollment (ADDE): device channel without Bearer on the identity certificate, user channel with it; ends Managed", async () => {
    const { Version, token, identity, urls } = await enrollAndGetIdentity("Mac", MAC_ENROLL_BODY);
    expect(Version).toBe("mdm-adde");
    let bearer: string | null = token;
    const mac = await simDevice(mdm, await currentMdmTopic(), identity, { mode: "device", bearer: () => bearer, ...MAC, ...urls });

    expect((await mac.authenticate()).status).toBe(200);
    const row = await db().device.findUniqueOrThrow({ where: { identifier: mac.udid } });
    expect(row).toMatchObject({ enrollmentType: "DEVICE_ENROLLMENT", platform: "macOS", groupId: macGroupId, deviceChannelCertOnly: true, status: "PENDING" });
    expect(row.userId).toBe((await db().user.findUniqueOrThrow({ where: { identifier: "pat@example.com" } })).id);
    expect((await mac.tokenUpdate()).status).toBe(200);
    expect((await mac.pollCommands()).map((c) => [c.requestType, c.status])).toEqual([["ProfileList", "Acknowledged"]]);
    expect((await db().device.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("MANAGED");

    // The user channel: Apple's UserAuthenticate exchange, the user's TokenUpdate, polls, all with the token.
    const ua = await mac.userAuthenticate();
    expect(ua.status).toBe(200);
    expect(parsePlistStrict(ua.body)).toEqual({ DigestChallenge: "" });
    expect((await mac.userTokenUpdate()).status).toBe(200);
    expect((await mac.userReport({ Status: "Idle" })).status).toBe(200);
    const channel = await db().userChannel.findUniqueOrThrow({ where: { deviceId_userChannelId: { deviceId: row.id, userChannelId: mac.user.id } } });
    expect(channel).toMatchObject({ userShortName: "pat", userLongName: "Pat Example", pushToken: mac.userPushToken.toString("hex"), pushMagic: mac.userPushMagic });
    // The device channel kept its own push credentials.
    expect(await db().device.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ pushToken: mac.pushToken.toString("hex"), pushMagic: mac.pushMagic });
    const lines = await db().enrollmentLog.findMany({ where: { deviceIdentifier: mac.udid } });
    expect(lines.filter((l) => l.outcome === "ERROR")).toEqual([]);

    // The user channel without its token: 401 with the sign-in challenge; the device channel carries on.
    bearer = null;
    const refused = await mac.userTokenUpdate();
    expect(refused.status).toBe(401);
    expect(parseBearerChallenge(refused.headers.get("www-authenticate"))).toMatchObject({ method: "apple-as-web" });
    expect((await mac.report({ Status: "Idle" })).status).toBe(200);
    // A token that does arrive on the device channel is still checked.
    const withToken = await simDevice(mdm, await currentMdmTopic(), identity, { mode: "device", udid: mac.udid, bearer: "ada_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ...urls });
    expect((await withToken.report({ Status: "Idle" })).status).toBe(401);
  });

  it("macOS user enrollment (BYOD): EnrollmentID on the device channel without Bearer, EnrollmentUserID with it; ends Managed", async () => {
    const { Version, token, identity, urls } = await enrollAndGetIdentity("Mac", MAC_ENROLL_BODY, KAI);
    expect(Version).toBe("mdm-byod");
    const mac = await simDevice(mdm, await currentMdmTopic(), identity, { mode: "user-enrollment", bearer: () => token, ...MAC, user: { shortName: "kai", longName: "Kai Example" }, ...urls });
    const message = mac.authenticateMessage();
    expect((await mac.checkin(message)).status).toBe(200);
    const row = await db().device.findUniqueOrThrow({ where: { identifier: mac.enrollmentId } });
    expect(row).toMatchObject({ enrollmentType: "USER_ENROLLMENT", udid: null, platform: "macOS", groupId: byodMacGroupId, deviceChannelCertOnly: true });
    expect((await mac.tokenUpdate()).status).toBe(200);
    expect((await mac.pollCommands()).map((c) => [c.requestType, c.status])).toEqual([["SecurityInfo", "Acknowledged"]]);
    expect((await db().device.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("MANAGED");
    expect((await mac.userTokenUpdate()).status).toBe(200);
    expect((await mac.userReport({ Status: "Idle" })).status).toBe(200);
    expect(await db().userChannel.findUniqueOrThrow({ where: { deviceId_userChannelId: { deviceId: row.id, userChannelId: mac.user.id } } })).toMatchObject({
      userLongName: "Kai Example",
      pushMagic: mac.userPushMagic,
    });
  });

  it("an iPhone without Bearer is refused with the sign-in challenge, also when its Authenticate claims to be a Mac", async () => {
    const { token, identity, urls } = await enrollAndGetIdentity("iPhone");
    const phone = await simDevice(mdm, await currentMdmTopic(), identity, { mode: "user-enrollment", bearer: null, ...urls });
    for (const message of [phone.authenticateMessage(), { ...phone.authenticateMessage(), ProductName: "Mac16,1", Model: "Mac16,1", ModelName: "MacBook Pro" }]) {
      const r = await phone.checkin(message);
      expect(r.status).toBe(401);
      expect(parseBearerChallenge(r.headers.get("www-authenticate"))).toMatchObject({ method: "apple-as-web" });
    }
    expect(await db().device.findUnique({ where: { identifier: phone.enrollmentId } })).toBeNull();
    const line = await db().enrollmentLog.findFirstOrThrow({ where: { deviceIdentifier: phone.enrollmentId }, orderBy: [{ time: "desc" }, { id: "desc" }] });
    expect(line).toMatchObject({ reason: "access_token_invalid" });
    expect(line.message).toContain("iPhone17,2");

    // Enrolled with its token, it still needs it on every request, user-channel keys or not.
    const enrolled = await simDevice(mdm, await currentMdmTopic(), identity, { mode: "user-enrollment", bearer: token, ...urls });
    expect((await enrolled.authenticate()).status).toBe(200);
    expect((await db().device.findUniqueOrThrow({ where: { identifier: enrolled.enrollmentId } })).deviceChannelCertOnly).toBe(false);
    expect((await phone.tokenUpdate()).status).toBe(401);
    expect((await phone.report({ Status: "Idle" })).status).toBe(401);
  });

  it("CheckOut lands on the identity certificate when the access token has expired or was revoked; the device is Unenrolled", async () => {
    const a = await enrollAndGetIdentity("iPhone");
    const expiring = await simDevice(mdm, await currentMdmTopic(), a.identity, { mode: "user-enrollment", bearer: a.token, ...a.urls });
    expect((await expiring.authenticate()).status).toBe(200);
    expect((await expiring.tokenUpdate()).status).toBe(200);
    await db().accessToken.update({ where: { hash: hashToken(a.token) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await expiring.tokenUpdate()).status).toBe(401);
    expect((await expiring.checkOut()).status).toBe(200);
    expect((await db().device.findUniqueOrThrow({ where: { identifier: expiring.enrollmentId } })).status).toBe("UNENROLLED");
    const line = await db().enrollmentLog.findFirstOrThrow({ where: { deviceIdentifier: expiring.enrollmentId }, orderBy: [{ time: "desc" }, { id: "desc" }] });
    expect(line).toMatchObject({ outcome: "OK" });
    expect(line.message).toMatch(/CheckOut.*accepted on the identity certificate although access token rejected \(access_token_expired\)/);

    const b = await enrollAndGetIdentity("iPhone");
    const revoked = await simDevice(mdm, await currentMdmTopic(), b.identity, { mode: "user-enrollment", bearer: b.token, ...b.urls });
    expect((await revoked.authenticate()).status).toBe(200);
    expect((await revoked.tokenUpdate()).status).toBe(200);
    expect((await bearerFetch(adde)("/api/v1/users/pat@example.com/revoke-tokens", adminKey, { method: "POST" })).status).toBe(200);
    expect((await revoked.checkOut()).status).toBe(200);
    expect((await db().device.findUniqueOrThrow({ where: { identifier: revoked.enrollmentId } })).status).toBe("UNENROLLED");

    // CheckOut still needs the device's own identity: another certificate cannot check it out.
    const c = await enrollAndGetIdentity("iPhone");
    const victim = await simDevice(mdm, await currentMdmTopic(), c.identity, { mode: "user-enrollment", bearer: c.token, ...c.urls });
    expect((await victim.authenticate()).status).toBe(200);
    const intruder = await simDevice(mdm, await currentMdmTopic(), b.identity, { mode: "user-enrollment", enrollmentId: victim.enrollmentId, bearer: c.token });
    expect((await intruder.checkOut()).status).toBe(401);
    expect((await db().device.findUniqueOrThrow({ where: { identifier: victim.enrollmentId } })).status).toBe("PENDING");
  });

  it("a Mac's held re-enrollment: its device channel without Bearer waits with 200, its user channel needs the token; approval hands over", async () => {
    const first = await enrollAndGetIdentity("Mac", MAC_ENROLL_BODY);
    const mac = await simDevice(mdm, await currentMdmTopic(), first.identity, { mode: "device", bearer: () => first.token, ...MAC, ...first.urls });
    expect((await mac.authenticate()).status).toBe(200);
    expect((await mac.tokenUpdate()).status).toBe(200);
    const row = await db().device.findUniqueOrThrow({ where: { identifier: mac.udid } });

    await updateReEnrollmentSettings({ policy: "approval" });
    try {
      // Pat enrolls the same Mac again: a new identity, held for an admin under "approval".
      const second = await enrollAndGetIdentity("Mac", MAC_ENROLL_BODY);
      let bearer: string | null = second.token;
      const again = await simDevice(mdm, await currentMdmTopic(), second.identity, { mode: "device", udid: mac.udid, bearer: () => bearer, ...MAC, ...second.urls });
      expect((await again.authenticate()).status).toBe(200);
      const hold = await db().reEnrollment.findFirstOrThrow({ where: { deviceId: row.id, status: "PENDING" } });
      expect(await db().device.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ certSerial: row.certSerial });
      // The held Mac's device channel carries no token (Apple) and must not be refused: a 401 would unenroll it.
      expect((await again.tokenUpdate()).status).toBe(200);
      const poll = await again.report({ Status: "Idle" });
      expect(poll.status).toBe(200);
      expect(poll.command).toBeNull();
      // Its user channel still needs the token.
      bearer = null;
      expect((await again.userTokenUpdate()).status).toBe(401);

      await approveReEnrollment(hold.id, "admin@example.com", row.id);
      expect(await db().device.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ deviceChannelCertOnly: true, status: "ENROLLED", pushMagic: again.pushMagic });
      expect((await again.report({ Status: "Idle" })).status).toBe(200);
      expect((await mac.report({ Status: "Idle" })).status).toBe(401);
    } finally {
      await updateReEnrollmentSettings({ policy: "same-enrollment" });
    }
  });
});
