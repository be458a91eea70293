// The real-capture suite: check-in messages and command results that real Apple devices sent
// (NanoMDM's and MicroMDM's published captures) and Apple's documented DeviceInformation
// response go through the shipped route handlers byte for byte, with only the identifiers
// (UDID, EnrollmentID, Topic, CommandUUID) rewritten to a test device. Each is signed as the
// device signs it: detached CMS in Mdm-Signature, with the identity certificate the test
// device got from our SCEP service through an OTA profile. Expected values are read from the
// captures with the `plist` package, not with our parser. Then the account-driven macOS
// requests (test/fixtures/account-driven) go the same way, device channel without the access
// token and user channel with it.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parse as parsePlistLib } from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { config } from "@/lib/config";
import { issueAccessToken } from "@/lib/enrollment/accessTokens";
import { createRoute } from "@/lib/enrollment/routes";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";
import { putUser } from "@/lib/enrollment/users";
import { recordAccountEnrollment } from "@/lib/enrollment/accountEnrollments";
import { SEALED_CONTEXT } from "@/lib/mdm/reenrollment";
import { sendDeviceCommand } from "@/lib/mdm/commands";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { mdmUrlsFor } from "@/lib/enrollment/enrollmentRef";
import { createGroup } from "@/lib/mdm/groups";
import { addPolicy } from "@/lib/mdm/policies";
import { parsePlistStrict, type PlistDict } from "@/lib/plist/plist";
import { validateCheckin } from "@/lib/profiles/appleSchema";
import { challengeForEnrollment } from "@/lib/scep/challenge";
import { createScepProfile } from "@/lib/scep/profiles";
import { unsealBytes } from "@/lib/secrets/sealed";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { scepEnroll } from "@/test/helpers/scepClient";
import { SimDevice, type SimHttpResult } from "@/test/sim/device";
import { serveOtaEnrollment } from "./helpers";

const CAPTURES = path.join(process.cwd(), "test/fixtures/apple-captures");
const ACCOUNT_DRIVEN = path.join(process.cwd(), "test/fixtures/account-driven");

let t: TestDb;
let server: RouteServer;
let topic: string;
let groupId: string;

beforeAll(async () => {
  t = await createTestDb();
  server = await serveOtaEnrollment();
  topic = await currentMdmTopic();
  groupId = (await createGroup({ name: "Captured devices" })).id;
  await addPolicy(groupId, { kind: "COMMAND", requestType: "DeviceInformation" });
  // The account-driven Macs' users are routed, as they must be for their tokens to count.
  await createRoute({ domain: "mac.example", version: "mdm-adde" });
  await createRoute({ domain: "mac.example", version: "mdm-byod" });
});
afterAll(async () => {
  await server.close();
  await t.close();
});

type Capture = { text: string; plist: Record<string, unknown> };

function capture(dir: string, name: string): Capture {
  const text = fs.readFileSync(path.join(dir, name), "utf8");
  return { text, plist: parsePlistLib(text) as Record<string, unknown> };
}

/** Replaces each identifier everywhere it occurs (the message's keys and QueryResponses alike); nothing else changes. */
function rewrite(c: Capture, ids: Record<string, string>): Uint8Array {
  let text = c.text;
  for (const [from, to] of Object.entries(ids)) {
    expect(text).toContain(`<string>${from}</string>`);
    text = text.split(`<string>${from}</string>`).join(`<string>${to}</string>`);
  }
  return new TextEncoder().encode(text);
}

/** A test identity shaped like the captured one (40 hex digits, or a UUID). */
function sameShape(id: string): string {
  if (/^[0-9a-f]{40}$/i.test(id)) return crypto.randomBytes(20).toString("hex");
  if (/^[0-9A-F]{8}-[0-9A-F]{16}$/.test(id)) return `${id.slice(0, 8)}-${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
  return crypto.randomUUID().toUpperCase();
}

/** A device that installed an OTA profile of ours (SCEP identity and all) and has not sent any MDM message yet. */
async function otaDevice(udid: string): Promise<SimDevice> {
  const publicUrl = config().publicUrl;
  const { url } = await createEnrollmentToken({ name: `capture ${udid.slice(0, 8)}`, expiresIn: "7d", groupId, maxUses: 1 });
  const sim = new SimDevice({ udid, rewriteUrl: (u) => u.replace(publicUrl, server.url) });
  await sim.installOtaProfile(url);
  return sim;
}

async function checkin(sim: SimDevice, body: Uint8Array, bearer?: string): Promise<SimHttpResult> {
  return sim.put(sim.checkInUrl, body, { contentType: "application/x-apple-aspen-mdm-checkin", headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
}

async function report(sim: SimDevice, body: Uint8Array, bearer?: string): Promise<SimHttpResult> {
  return sim.put(sim.serverUrl, body, { contentType: "application/x-apple-aspen-mdm", headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
}

const device = (identifier: string) => t.client.device.findUniqueOrThrow({ where: { identifier } });
const hexOf = (v: unknown) => Buffer.from(v as Uint8Array).toString("hex");

/** Polls (Idle) for the group's DeviceInformation command and returns its CommandUUID. */
async function queuedDeviceInformation(sim: SimDevice): Promise<string> {
  const r = await sim.report({ Status: "Idle" });
  expect(r.status).toBe(200);
  expect((r.command?.Command as PlistDict | undefined)?.RequestType).toBe("DeviceInformation");
  return String(r.command!.CommandUUID);
}

describe("real device captures through the route handlers", () => {
  it("NanoMDM, iPad on iOS 9.3.5: Authenticate creates the device, TokenUpdate stores token, push magic and unlock token", async () => {
    const auth = capture(CAPTURES, "nanomdm-Authenticate.1.plist");
    const update = capture(CAPTURES, "nanomdm-TokenUpdate.1.plist");
    const udid = sameShape(String(auth.plist.UDID));
    const ids = { [String(auth.plist.UDID)]: udid, [String(auth.plist.Topic)]: topic };
    const sim = await otaDevice(udid);

    expect((await checkin(sim, rewrite(auth, ids))).status).toBe(200);
    expect(await device(udid)).toMatchObject({
      udid,
      productName: auth.plist.ProductName,
      serialNumber: auth.plist.SerialNumber,
      osVersion: auth.plist.OSVersion,
      buildVersion: auth.plist.BuildVersion,
      platform: "iPadOS",
      topic,
      enrollmentType: "OTA",
      status: "PENDING",
      groupId,
    });

    expect((await checkin(sim, rewrite(update, ids))).status).toBe(200);
    const d = await device(udid);
    expect(d).toMatchObject({ status: "ENROLLED", pushToken: hexOf(update.plist.Token), pushMagic: update.plist.PushMagic });
    expect(Buffer.from(unsealBytes(d.unlockTokenEnc!, SEALED_CONTEXT.unlock)).equals(Buffer.from(update.plist.UnlockToken as Uint8Array))).toBe(true);
    const lines = await t.client.enrollmentLog.findMany({ where: { deviceIdentifier: udid } });
    expect(lines.filter((l) => l.outcome !== "OK")).toEqual([]);
  });

  it("NanoMDM, iMac on macOS 10.12.6: Authenticate, TokenUpdate, then its DeviceInformation result updates the inventory and makes it Managed", async () => {
    const auth = capture(CAPTURES, "nanomdm-Authenticate.2.plist");
    const update = capture(CAPTURES, "nanomdm-TokenUpdate.2.plist");
    const info = capture(CAPTURES, "nanomdm-DeviceInformation.1.plist");
    const udid = sameShape(String(auth.plist.UDID));
    const ids = { [String(auth.plist.UDID)]: udid, [String(auth.plist.Topic)]: topic };
    const sim = await otaDevice(udid);

    expect((await checkin(sim, rewrite(auth, ids))).status).toBe(200);
    expect(await device(udid)).toMatchObject({
      productName: "iMac14,2",
      model: auth.plist.Model,
      modelName: auth.plist.ModelName,
      deviceName: auth.plist.DeviceName,
      serialNumber: auth.plist.SerialNumber,
      osVersion: "10.12.6",
      platform: "macOS",
    });
    expect((await checkin(sim, rewrite(update, ids))).status).toBe(200);
    expect(await device(udid)).toMatchObject({ status: "ENROLLED", pushToken: hexOf(update.plist.Token), pushMagic: update.plist.PushMagic });

    const uuid = await queuedDeviceInformation(sim);
    const done = await report(sim, rewrite(info, { [String(info.plist.UDID)]: udid, [String(info.plist.CommandUUID)]: uuid }));
    expect(done.status).toBe(200);
    expect(await t.client.command.findUniqueOrThrow({ where: { uuid } })).toMatchObject({ status: "ACKNOWLEDGED" });
    const d = await device(udid);
    expect(d.status).toBe("MANAGED");
    const stored = JSON.parse(d.info!) as { DeviceInformation: Record<string, unknown> };
    expect(stored.DeviceInformation).toMatchObject({ HostName: "fruit.example.com", UDID: udid });
  });

  it("MicroMDM, MacBook Pro on macOS 10.13.6: Authenticate, TokenUpdate, Acknowledged marks the command, CheckOut unenrolls", async () => {
    const auth = capture(CAPTURES, "micromdm-docs-Authenticate.plist");
    const update = capture(CAPTURES, "micromdm-docs-TokenUpdate.plist");
    const ack = capture(CAPTURES, "micromdm-docs-Acknowledged.plist");
    const out = capture(CAPTURES, "micromdm-docs-CheckOut.plist");
    const udid = sameShape(String(auth.plist.UDID));
    const ids = { [String(auth.plist.UDID)]: udid, [String(auth.plist.Topic)]: topic };
    const sim = await otaDevice(udid);

    expect((await checkin(sim, rewrite(auth, ids))).status).toBe(200);
    expect(await device(udid)).toMatchObject({ productName: "MacBookPro14,3", modelName: "MacBook Pro", deviceName: "HostName", platform: "macOS", serialNumber: "C04W00D3HTD0" });
    expect((await checkin(sim, rewrite(update, ids))).status).toBe(200);
    expect(await device(udid)).toMatchObject({ status: "ENROLLED", pushToken: hexOf(update.plist.Token), pushMagic: "728F8670-4934-4A30-BADF-7B43C261FC14" });

    const uuid = await queuedDeviceInformation(sim);
    expect((await report(sim, rewrite(ack, { [String(ack.plist.UDID)]: udid, [String(ack.plist.CommandUUID)]: uuid }))).status).toBe(200);
    expect(await t.client.command.findUniqueOrThrow({ where: { uuid } })).toMatchObject({ status: "ACKNOWLEDGED" });
    expect((await device(udid)).status).toBe("MANAGED");

    expect((await checkin(sim, rewrite(out, { [String(out.plist.UDID)]: udid, [String(out.plist.Topic)]: topic }))).status).toBe(200);
    expect((await device(udid)).status).toBe("UNENROLLED");
  });

  it("Apple's documented DeviceInformation response updates the inventory", async () => {
    const info = capture(CAPTURES, "apple-doc-DeviceInformation-response.plist");
    const q = info.plist.QueryResponses as Record<string, unknown>;
    const udid = sameShape(String(info.plist.UDID));
    const sim = await otaDevice(udid);
    // No capture of this iPhone's check-ins exists: the simulator sends them.
    expect((await sim.authenticate()).status).toBe(200);
    expect((await sim.tokenUpdate()).status).toBe(200);
    const uuid = await queuedDeviceInformation(sim);
    const r = await report(sim, rewrite(info, { [String(info.plist.UDID)]: udid, [String(info.plist.CommandUUID)]: uuid }));
    expect(r.status).toBe(200);
    expect(await t.client.command.findUniqueOrThrow({ where: { uuid } })).toMatchObject({ status: "ACKNOWLEDGED" });
    const d = await device(udid);
    expect(d).toMatchObject({
      status: "MANAGED",
      deviceName: q.DeviceName,
      osVersion: q.OSVersion,
      buildVersion: q.BuildVersion,
      modelName: q.ModelName,
      model: q.Model,
      productName: q.ProductName,
      serialNumber: q.SerialNumber,
    });
    const stored = JSON.parse(d.info!) as { DeviceInformation: Record<string, unknown> };
    expect(stored.DeviceInformation).toMatchObject({ IMEI: q.IMEI, SubscriberCarrierNetwork: "ExampleCarrier", IsSupervised: true, AvailableDeviceCapacity: q.AvailableDeviceCapacity });
    expect((stored.DeviceInformation.ServiceSubscriptions as { CurrentCarrierNetwork: string }[])[1].CurrentCarrierNetwork).toBe("AT&T");
  });
});

describe("account-driven macOS requests (device channel without Bearer, user channel with it)", () => {
  /** A Mac that enrolled through its account: its enroll request (PRODUCT) recorded, its identity from our SCEP for that user. */
  async function accountMac(identifier: string, version: "mdm-adde" | "mdm-byod", product: string, udid = sameShape("00006030-001A2B3C4D5E802E")) {
    const userId = (await putUser(identifier, { password: "mac-user-password-1", managedAppleId: identifier.replace("@", "@appleid.") })).user.id;
    const { profile } = await createScepProfile({ name: `Account ${identifier}`, challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID" });
    const challenge = await challengeForEnrollment(profile.id, { userId });
    const identity = await scepEnroll({ url: `${server.url}/scep/${profile.id}`, challenge, subject: `CN=${identifier}` });
    const issued = await t.client.certificate.findFirstOrThrow({ where: { userId }, orderBy: { issuedAt: "desc" } });
    expect(Buffer.from(issued.der).equals(Buffer.from(identity.certDer))).toBe(true);
    const enrollmentId = await recordAccountEnrollment({ userId, userIdentifier: identifier, version, product, buildVersion: "24C101", language: "en-US" });
    const urls = mdmUrlsFor({ kind: "account", enrollmentId });
    const local = (u: string) => u.replace(config().publicUrl, server.url);
    const sim = new SimDevice({ udid, checkInUrl: local(urls.checkInUrl), serverUrl: local(urls.serverUrl), topic });
    await sim.useIdentity({ certDer: identity.certDer, privateKeyPem: identity.privateKeyPem });
    return { sim, userId, token: await issueAccessToken(userId, version) };
  }

  const channelOf = (name: string) => (name.includes("-user-") ? "user" : "device");

  it("device enrollment: each request is schema-valid, carries the Bearer exactly on the user channel, and is accepted; the Mac ends Managed, then checks out", async () => {
    const { sim, userId, token } = await accountMac("pat@mac.example", "mdm-adde", "Mac16,1");
    const udid = sim.udid;
    const userChannelId = crypto.randomUUID().toUpperCase();
    const ids = { "00006030-001A2B3C4D5E802E": udid, "com.apple.mgmt.External.00000000-0000-0000-0000-000000000000": topic, "A4C1E3B2-6D5F-4E7A-8B9C-0D1E2F3A4B5C": userChannelId };
    const send = async (name: string, extra: Record<string, string> = {}) => {
      const c = capture(ACCOUNT_DRIVEN, name);
      if (c.plist.MessageType && c.plist.MessageType !== "UserAuthenticate") expect(validateCheckin(String(c.plist.MessageType), c.plist, { channel: channelOf(name), os: "macOS" })).toEqual([]);
      const own = Object.fromEntries(Object.entries(ids).filter(([from]) => c.text.includes(`<string>${from}</string>`)));
      const body = rewrite(c, { ...own, ...extra });
      const bearer = channelOf(name) === "user" ? token : undefined;
      return c.plist.MessageType ? checkin(sim, body, bearer) : report(sim, body, bearer);
    };

    expect((await send("macos-adde-device-Authenticate.plist")).status).toBe(200);
    expect(await device(udid)).toMatchObject({ enrollmentType: "DEVICE_ENROLLMENT", userId, platform: "macOS", deviceChannelCertOnly: true, deviceName: "Pat’s MacBook Pro" });
    expect((await send("macos-adde-device-TokenUpdate.plist")).status).toBe(200);
    expect((await send("macos-adde-device-Idle.plist")).status).toBe(200);

    const first = await send("macos-adde-user-UserAuthenticate.plist");
    expect(first.status).toBe(200);
    expect(parsePlistLib(first.text)).toEqual({ DigestChallenge: "" });
    const second = await send("macos-adde-user-UserAuthenticate-DigestResponse.plist");
    expect(second.status).toBe(200);
    expect(second.text).toBe("");
    const userUpdate = capture(ACCOUNT_DRIVEN, "macos-adde-user-TokenUpdate.plist");
    expect((await send("macos-adde-user-TokenUpdate.plist")).status).toBe(200);
    const d = await t.client.device.findUniqueOrThrow({ where: { identifier: udid }, include: { userChannels: true } });
    expect(d.userChannels.map((u) => ({ id: u.userChannelId, short: u.userShortName, long: u.userLongName, token: u.pushToken, magic: u.pushMagic }))).toEqual([
      { id: userChannelId, short: "pat", long: "Pat Example", token: hexOf(userUpdate.plist.Token), magic: userUpdate.plist.PushMagic },
    ]);
    expect((await send("macos-adde-user-Idle.plist")).status).toBe(200);

    // The group's DeviceInformation is not queued (no token, no routing group): a ProfileList from the admin makes it Managed.
    const { uuid } = await sendDeviceCommand(udid, "ProfileList");
    const poll = await sim.report({ Status: "Idle" });
    expect(String(poll.command?.CommandUUID)).toBe(uuid);
    expect((await sim.report({ Status: "Acknowledged", CommandUUID: uuid, ProfileList: [] })).status).toBe(200);
    expect((await device(udid)).status).toBe("MANAGED");

    // The user channel's request without its token is refused with the sign-in challenge.
    const bare = await checkin(sim, rewrite(userUpdate, ids));
    expect(bare.status).toBe(401);
    expect(bare.headers.get("www-authenticate")).toMatch(/^Bearer method=/);

    expect((await send("macos-adde-device-CheckOut.plist")).status).toBe(200);
    expect((await device(udid)).status).toBe("UNENROLLED");
  });

  it("user enrollment: EnrollmentID on the device channel without Bearer, EnrollmentUserID on the user channel with it", async () => {
    const { sim, userId, token } = await accountMac("kai@mac.example", "mdm-byod", "Mac15,12");
    const enrollmentId = crypto.randomUUID().toUpperCase();
    const userChannelId = crypto.randomUUID().toUpperCase();
    const ids = { "7D2A1F44-5B1E-4C3A-9E0D-3F6B2A8C1D90": enrollmentId, "com.apple.mgmt.External.00000000-0000-0000-0000-000000000000": topic, "C0FFEE00-1234-4567-89AB-CDEF01234567": userChannelId };
    for (const name of ["macos-byod-device-Authenticate.plist", "macos-byod-device-TokenUpdate.plist", "macos-byod-user-TokenUpdate.plist", "macos-byod-user-Idle.plist"]) {
      const c = capture(ACCOUNT_DRIVEN, name);
      if (c.plist.MessageType) expect(validateCheckin(String(c.plist.MessageType), c.plist, { channel: channelOf(name), os: "macOS", userEnrollment: true })).toEqual([]);
      const own = Object.fromEntries(Object.entries(ids).filter(([from]) => c.text.includes(`<string>${from}</string>`)));
      const bearer = channelOf(name) === "user" ? token : undefined;
      const r = c.plist.MessageType ? await checkin(sim, rewrite(c, own), bearer) : await report(sim, rewrite(c, own), bearer);
      expect([name, r.status]).toEqual([name, 200]);
    }
    const d = await t.client.device.findUniqueOrThrow({ where: { identifier: enrollmentId }, include: { userChannels: true } });
    expect(d).toMatchObject({ enrollmentType: "USER_ENROLLMENT", enrollmentId, udid: null, userId, platform: "macOS", deviceChannelCertOnly: true, status: "ENROLLED" });
    expect(d.userChannels).toHaveLength(1);
    expect(d.userChannels[0]).toMatchObject({ userChannelId, userLongName: "Kai Example" });
  });

  it("the same Mac requests from an enrollment whose enroll request named an iPhone need the Bearer on the device channel too", async () => {
    const { sim } = await accountMac("lee@mac.example", "mdm-adde", "iPhone17,2");
    const c = capture(ACCOUNT_DRIVEN, "macos-adde-device-Authenticate.plist");
    const r = await checkin(sim, rewrite(c, { "00006030-001A2B3C4D5E802E": sameShape("00006030-001A2B3C4D5E802E"), "com.apple.mgmt.External.00000000-0000-0000-0000-000000000000": topic }));
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toMatch(/^Bearer method=/);
  });
});

// Our parser reads every capture as the independent `plist` package does.
describe("captures parse the same with our strict parser", () => {
  for (const dir of [CAPTURES, ACCOUNT_DRIVEN]) {
    for (const name of fs.readdirSync(dir).filter((f) => f.endsWith(".plist"))) {
      it(name, () => {
        const c = capture(dir, name);
        expect(JSON.parse(JSON.stringify(parsePlistStrict(c.text)))).toEqual(JSON.parse(JSON.stringify(c.plist)));
      });
    }
  }
});
