// The check-in and command endpoints over real HTTP, with identity certificates from the
// real CA and CMS-signed bodies: lifecycle, queue semantics, Apple's schemas, and refusal of
// every unauthenticated or malformed request.
process.env.CLIENT_CERT_HEADER = "x-client-cert";

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { getDeviceDetail } from "@/lib/inventory/deviceDetail";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latestLogLine } from "@/test/helpers/logCount";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { createGroup } from "@/lib/mdm/groups";
import { addPolicy } from "@/lib/mdm/policies";
import { enqueueCommand } from "@/lib/mdm/commands";
import { buildPlist, parsePlistStrict, type PlistDict } from "@/lib/plist/plist";
import { validateCheckin, validateCommand, validateCommandResponse } from "@/lib/profiles/appleSchema";
import { revokeCertificate } from "@/lib/pki/revocation";
import { toPem } from "@/lib/pki/der";
import { LIMITS } from "@/lib/http/body";
import { foreignIdentity, issueIdentity, randomUdid, serveMdm, simDevice } from "./helpers";
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

async function lastLog(deviceIdentifier?: string) {
  return latestLogLine(deviceIdentifier ? { deviceIdentifier } : {});
}

async function enrolledSim(opts: { groupId?: string | null; mac?: boolean } = {}): Promise<SimDevice> {
  const token = await t.client.enrollmentToken.create({ data: { name: "t", groupId: opts.groupId ?? null } });
  const udid = randomUdid();
  const id = await issueIdentity(`CN=${udid}`, { enrollmentTokenId: token.id });
  const mac = opts.mac ? { productName: "Mac15,3", model: "Mac15,3", modelName: "MacBook Pro", deviceName: "Ann's MacBook Pro", osVersion: "15.2", buildVersion: "24C101" } : {};
  return simDevice(server, topic, id, { udid, ...mac });
}

describe("enrollment lifecycle", () => {
  it("Authenticate → PENDING in the token's group; TokenUpdate → ENROLLED with policies queued; first ack → MANAGED", async () => {
    const group = await createGroup({ name: "Lifecycle" });
    await addPolicy(group.id, { kind: "PROFILE", mobileconfig: restrictionsProfile() });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "DeviceInformation" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "ProfileList" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "SecurityInfo" });
    await addPolicy(group.id, { kind: "COMMAND", requestType: "InstalledApplicationList" });
    const sim = await enrolledSim({ groupId: group.id });

    // Every message the simulator sends is what Apple's schema describes.
    for (const m of [sim.authenticateMessage(), sim.tokenUpdateMessage()]) expect(validateCheckin(String(m.MessageType), m)).toEqual([]);

    const a = await sim.authenticate();
    expect(a.status).toBe(200);
    let d = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
    expect(d).toMatchObject({ status: "PENDING", groupId: group.id, serialNumber: sim.serialNumber, productName: "iPhone16,1", osVersion: "18.2", enrollmentType: "OTA", platform: "iOS" });
    const cert = await t.client.certificate.findFirstOrThrow({ where: { deviceId: d.id } });
    expect(d.certSerial).toBe(cert.serial);

    expect((await sim.tokenUpdate()).status).toBe(200);
    d = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
    expect(d.status).toBe("ENROLLED");
    expect(d.pushToken).toBe(sim.pushToken.toString("hex"));
    expect(d.pushMagic).toBe(sim.pushMagic);
    expect(d.unlockTokenEnc).toMatch(/^v1\./);
    expect(d.unlockTokenEnc).not.toContain(sim.unlockToken.toString("base64"));
    expect(await t.client.command.count({ where: { deviceId: d.id, status: "QUEUED" } })).toBe(5);

    const handled = await sim.pollCommands();
    expect(handled.map((h) => [h.requestType, h.status])).toEqual([
      ["InstallProfile", "Acknowledged"],
      ["DeviceInformation", "Acknowledged"],
      ["ProfileList", "Acknowledged"],
      ["SecurityInfo", "Acknowledged"],
      ["InstalledApplicationList", "Acknowledged"],
    ]);
    for (const h of handled) {
      expect(validateCommand(h.requestType, { CommandUUID: h.uuid, Command: h.command })).toEqual([]);
      expect(validateCommandResponse(h.requestType, h.response)).toEqual([]);
    }
    d = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
    expect(d.status).toBe("MANAGED");
    expect(JSON.parse(d.installedProfiles ?? "[]").map((p: { PayloadIdentifier: string }) => p.PayloadIdentifier)).toEqual(["com.example.restrictions"]);
    const info = JSON.parse(d.info ?? "{}");
    expect(info.DeviceInformation.SerialNumber).toBe(sim.serialNumber);
    expect(info.SecurityInfo.PasscodePresent).toBe(true);
    expect(await t.client.command.count({ where: { deviceId: d.id, status: "ACKNOWLEDGED" } })).toBe(5);

    const steps = await t.client.enrollmentLog.findMany({ where: { deviceIdentifier: sim.udid }, orderBy: { time: "asc" } });
    expect(steps.map((s) => s.message)).toEqual([
      expect.stringMatching(/^Authenticate from iPhone16,1/),
      expect.stringMatching(/^TokenUpdate: device enrolled \(unlock token stored\); queued 5 group policies/),
      expect.stringMatching(/^InstallProfile acknowledged: device is managed/),
    ]);

    // A second TokenUpdate only refreshes the token; CheckOut unenrolls.
    expect((await sim.tokenUpdate()).status).toBe(200);
    expect(await t.client.command.count({ where: { deviceId: d.id, status: "QUEUED" } })).toBe(0);
    await enqueueCommand(d.id, "ProfileList", {}, { push: false });
    expect((await sim.checkOut()).status).toBe(200);
    d = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
    expect(d.status).toBe("UNENROLLED");
    expect(await t.client.command.count({ where: { deviceId: d.id, status: { in: ["QUEUED", "SENT"] } } })).toBe(0);
  });

  it("re-sends unacknowledged commands, keeps NotNow queued, records errors", async () => {
    const sim = await enrolledSim();
    await sim.authenticate();
    await sim.tokenUpdate();
    const d = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
    const a = await enqueueCommand(d.id, "ProfileList", {}, { push: false });
    const b = await enqueueCommand(d.id, "RemoveProfile", { Identifier: "com.example.absent" }, { push: false });

    // Idle twice without answering: the same command comes back.
    const first = await sim.report({ Status: "Idle" });
    expect(first.command?.CommandUUID).toBe(a.uuid);
    const again = await sim.report({ Status: "Idle" });
    expect(again.command?.CommandUUID).toBe(a.uuid);

    // NotNow: the next command comes instead, and the NotNow'd one waits for the next poll.
    const afterNotNow = await sim.report({ Status: "NotNow", CommandUUID: a.uuid });
    expect(afterNotNow.command?.CommandUUID).toBe(b.uuid);
    const err = await sim.report({ Status: "Error", CommandUUID: b.uuid, ErrorChain: [{ ErrorCode: 1001, ErrorDomain: "MCProfileErrorDomain", LocalizedDescription: "not installed" }] });
    expect(err.status).toBe(200);
    expect(await t.client.command.findUniqueOrThrow({ where: { uuid: b.uuid } })).toMatchObject({ status: "ERROR" });
    expect(JSON.parse((await t.client.command.findUniqueOrThrow({ where: { uuid: b.uuid } })).errorChain ?? "[]")[0].ErrorCode).toBe(1001);
    // Only the answer right after NotNow skips it; after that it is offered again.
    const later = err;
    expect(later.command?.CommandUUID).toBe(a.uuid);
    // Error is not "managed"; an acknowledgement is.
    expect((await t.client.device.findUniqueOrThrow({ where: { id: d.id } })).status).toBe("ENROLLED");
    const h = await sim.execute(later.command as PlistDict);
    const done = await sim.report({ Status: h.status, CommandUUID: h.uuid, ...h.response });
    expect(done.command).toBeNull();
    expect((await t.client.device.findUniqueOrThrow({ where: { id: d.id } })).status).toBe("MANAGED");
  });

  it("escrows the bootstrap token sealed and returns it; declines an iPhone's UserAuthenticate with 410; answers DeclarativeManagement", async () => {
    const sim = await enrolledSim();
    await sim.authenticate();
    await sim.tokenUpdate();
    const token = new Uint8Array(Buffer.from("bootstrap-token-bytes"));
    const set = { MessageType: "SetBootstrapToken", UDID: sim.udid, BootstrapToken: token, AwaitingConfiguration: false };
    expect(validateCheckin("SetBootstrapToken", set)).toEqual([]);
    expect((await sim.checkin(set)).status).toBe(200);
    const stored = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
    expect(stored.bootstrapTokenEnc).toMatch(/^v1\./);
    const get = await sim.checkin({ MessageType: "GetBootstrapToken", UDID: sim.udid });
    expect(get.status).toBe(200);
    const answer = parsePlistStrict(get.body) as PlistDict;
    expect(Buffer.from(answer.BootstrapToken as Uint8Array).toString()).toBe("bootstrap-token-bytes");

    const ua = await sim.checkin({ MessageType: "UserAuthenticate", UDID: sim.udid, UserID: "A1B2", UserShortName: "ann", UserLongName: "Ann" });
    expect(ua.status).toBe(410);

    const dm = { MessageType: "DeclarativeManagement", UDID: sim.udid, Endpoint: "tokens" };
    expect(validateCheckin("DeclarativeManagement", dm)).toEqual([]);
    const tokens = await sim.checkin(dm);
    expect(tokens.status).toBe(200);
    const body = JSON.parse(tokens.text);
    expect(typeof body.SyncTokens.DeclarationsToken).toBe("string");
    const items = JSON.parse((await sim.checkin({ ...dm, Endpoint: "declaration-items" })).text);
    expect(items).toEqual({ Declarations: { Activations: [], Assets: [], Configurations: [], Management: [] }, DeclarationsToken: body.SyncTokens.DeclarationsToken });
  });

  it("opens a Mac's user channel: UserAuthenticate's digest exchange, the user-channel TokenUpdate stored apart from the device channel's, polls with the stored record", async () => {
    const sim = await enrolledSim({ mac: true });
    await sim.authenticate();
    await sim.tokenUpdate();
    const userId = "A1B2C3D4-0000-0000-0000-000000000001";
    // Apple's two-step exchange: the first request has no DigestResponse and gets a DigestChallenge
    // (zero-length: no AuthToken needed); a DigestResponse gets an empty 200.
    const first = await sim.checkin({ MessageType: "UserAuthenticate", UDID: sim.udid, UserID: userId });
    expect(first.status).toBe(200);
    expect(parsePlistStrict(first.body)).toEqual({ DigestChallenge: "" });
    const second = { MessageType: "UserAuthenticate", UDID: sim.udid, UserID: userId, DigestResponse: "0123abcd" };
    expect(validateCheckin("UserAuthenticate", second, { channel: "user", os: "macOS" })).toEqual([]);
    const r2 = await sim.checkin(second);
    expect(r2.status).toBe(200);
    expect(r2.body.byteLength).toBe(0);

    const user = {
      MessageType: "TokenUpdate",
      Topic: topic,
      UDID: sim.udid,
      UserID: userId,
      UserShortName: "ann",
      UserLongName: "Ann Example",
      NotOnConsole: false,
      Token: new Uint8Array(32).fill(7),
      PushMagic: "USER-MAGIC",
    };
    expect(validateCheckin("TokenUpdate", user, { channel: "user", os: "macOS" })).toEqual([]);
    expect((await sim.checkin(user)).status).toBe(200);
    const d = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid }, include: { userChannels: true } });
    expect(d.pushMagic).toBe(sim.pushMagic);
    expect(d.pushToken).toBe(sim.pushToken.toString("hex"));
    expect(d.userChannels).toHaveLength(1);
    expect(d.userChannels[0]).toMatchObject({ userChannelId: userId, userShortName: "ann", userLongName: "Ann Example", pushMagic: "USER-MAGIC", pushToken: "07".repeat(32), topic });
    expect(d.userChannels[0].authenticatedAt).not.toBeNull();
    expect((await lastLog(sim.udid))?.message).toMatch(/user channel of ann/);
    // The device page lists the user channel (without its push secrets).
    expect((await getDeviceDetail(sim.udid)).userChannels).toEqual([{ userChannelId: userId, userShortName: "ann", userLongName: "Ann Example", lastSeenAt: expect.any(Date) }]);
    // User-channel command polls work with the stored record; an unknown user channel is refused.
    const poll = await sim.report({ Status: "Idle", UserID: userId });
    expect(poll.status).toBe(200);
    expect(poll.command).toBeNull();
    expect((await sim.report({ Status: "Idle", UserID: "FFFF0000-0000-0000-0000-000000000009" })).status).toBe(401);
    expect((await lastLog(sim.udid))?.reason).toBe("user_channel_unknown");
  });

  it("declines the user channel of a device that is not a Mac with 410 and stores nothing", async () => {
    const sim = await enrolledSim();
    await sim.authenticate();
    await sim.tokenUpdate();
    const user = {
      MessageType: "TokenUpdate",
      Topic: topic,
      UDID: sim.udid,
      UserID: "A1B2C3D4-0000-0000-0000-000000000002",
      UserLongName: "Ann Example",
      NotOnConsole: false,
      Token: new Uint8Array(32).fill(7),
      PushMagic: "USER-MAGIC",
    };
    expect((await sim.checkin(user)).status).toBe(410);
    expect((await lastLog(sim.udid))?.reason).toBe("user_channel_declined");
    expect(await t.client.userChannel.count({ where: { device: { identifier: sim.udid } } })).toBe(0);
    expect((await sim.report({ Status: "Idle", UserID: user.UserID })).status).toBe(401);
  });

  it("accepts the identity certificate from the TLS proxy header instead of a signature", async () => {
    const udid = randomUdid();
    const id = await issueIdentity(`CN=${udid}`);
    const sim = await simDevice(server, topic, id, { udid });
    const body = new TextEncoder().encode(buildPlist(sim.authenticateMessage()));
    const pem = toPem(id.certDer, "CERTIFICATE");
    const r = await sim.put(sim.checkInUrl, body, { contentType: "application/x-apple-aspen-mdm-checkin", sign: false, headers: { "x-client-cert": encodeURIComponent(pem) } });
    expect(r.status).toBe(200);
    expect((await t.client.device.findUniqueOrThrow({ where: { identifier: udid } })).status).toBe("PENDING");
    const garbage = await sim.put(sim.checkInUrl, body, {
      contentType: "application/x-apple-aspen-mdm-checkin",
      sign: false,
      headers: { "x-client-cert": "-----BEGIN CERTIFICATE-----%0Anope%0A-----END CERTIFICATE-----" },
    });
    expect(garbage.status).toBe(401);
    const foreign = await foreignIdentity(`CN=${udid}`);
    const notOurs = await sim.put(sim.checkInUrl, body, {
      contentType: "application/x-apple-aspen-mdm-checkin",
      sign: false,
      headers: { "x-client-cert": encodeURIComponent(toPem(foreign.certDer, "CERTIFICATE")) },
    });
    expect(notOurs.status).toBe(401);
    const badEncoding = await sim.put(sim.checkInUrl, body, { contentType: "application/x-apple-aspen-mdm-checkin", sign: false, headers: { "x-client-cert": "%E0%A4%A" } });
    expect(badEncoding.status).toBe(401);
  });
});

describe("command reports", () => {
  it("a late NotNow or Error for an acknowledged command changes nothing", async () => {
    const sim = await enrolledSim();
    await sim.authenticate();
    await sim.tokenUpdate();
    const d = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
    const { uuid } = await enqueueCommand(d.id, "ProfileList", {}, { push: false });
    const polled = await sim.report({ Status: "Idle" });
    const h = await sim.execute(polled.command as PlistDict);
    expect((await sim.report({ Status: "Acknowledged", CommandUUID: uuid, ...h.response })).status).toBe(200);
    const acked = await t.client.command.findUniqueOrThrow({ where: { uuid } });
    expect(acked.status).toBe("ACKNOWLEDGED");

    const lateNotNow = await sim.report({ Status: "NotNow", CommandUUID: uuid });
    expect(lateNotNow.status).toBe(200);
    expect(lateNotNow.command).toBeNull();
    const lateError = await sim.report({ Status: "Error", CommandUUID: uuid, ErrorChain: [{ ErrorCode: 12021, ErrorDomain: "MCMDMErrorDomain", LocalizedDescription: "late" }] });
    expect(lateError.status).toBe(200);
    expect(await t.client.command.findUniqueOrThrow({ where: { uuid } })).toEqual(acked);
    const late = await t.client.enrollmentLog.findMany({ where: { deviceIdentifier: sim.udid, message: { startsWith: "late " } }, orderBy: { time: "asc" } });
    expect(late.map((l) => l.message).sort()).toEqual([`late Error for ProfileList ${uuid}, already ACKNOWLEDGED; ignored`, `late NotNow for ProfileList ${uuid}, already ACKNOWLEDGED; ignored`]);
  });

  it("a report larger than the limit fails its command with the reason instead of re-sending it forever", async () => {
    const sim = await enrolledSim();
    await sim.authenticate();
    await sim.tokenUpdate();
    const d = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
    const big = await enqueueCommand(d.id, "InstalledApplicationList", {}, { push: false });
    const next = await enqueueCommand(d.id, "ProfileList", {}, { push: false });
    expect((await sim.report({ Status: "Idle" })).command?.CommandUUID).toBe(big.uuid);

    // An answer of ~5 MB, keys in Apple's (sorted) order, signed by OpenSSL with the device's key.
    const apps = Array.from({ length: 24_000 }, (_, i) => ({
      BundleSize: 1000 + i,
      DynamicSize: 0,
      Identifier: `com.example.app${i}`,
      Name: `Example application number ${i}`,
      ShortVersion: "1.0",
      Version: "1",
    }));
    const body = new TextEncoder().encode(buildPlist({ CommandUUID: big.uuid, InstalledApplicationList: apps, Status: "Acknowledged", UDID: sim.udid }));
    expect(body.byteLength).toBeGreaterThan(LIMITS.command);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oversize-"));
    fs.writeFileSync(path.join(dir, "body"), body);
    fs.writeFileSync(path.join(dir, "cert.pem"), toPem(sim.identity!.certDer, "CERTIFICATE"));
    fs.writeFileSync(path.join(dir, "key.pem"), sim.identity!.privateKeyPem);
    execFileSync("openssl", [
      "cms",
      "-sign",
      "-binary",
      "-md",
      "sha256",
      "-in",
      path.join(dir, "body"),
      "-signer",
      path.join(dir, "cert.pem"),
      "-inkey",
      path.join(dir, "key.pem"),
      "-outform",
      "DER",
      "-out",
      path.join(dir, "sig.der"),
    ]);
    const signature = fs.readFileSync(path.join(dir, "sig.der")).toString("base64");
    fs.rmSync(dir, { recursive: true, force: true });

    const r = await sim.put(sim.serverUrl, body, { contentType: "application/x-apple-aspen-mdm", signature });
    expect(r.status).toBe(200);
    expect((parsePlistStrict(r.body) as PlistDict).CommandUUID).toBe(next.uuid);
    const failed = await t.client.command.findUniqueOrThrow({ where: { uuid: big.uuid } });
    expect(failed.status).toBe("ERROR");
    expect(JSON.parse(failed.errorChain ?? "[]")[0].LocalizedDescription).toMatch(/exceeds the server's 4194304-byte limit for command reports/);
    const failedLine = await t.client.enrollmentLog.findFirst({ where: { deviceIdentifier: sim.udid, reason: "command_report_too_large" } });
    expect(failedLine).toMatchObject({ outcome: "ERROR", step: "command" });
    expect(failedLine?.message).toContain(`InstalledApplicationList ${big.uuid} failed`);
    // It is not offered again: the poll after the next command's answer has nothing.
    const h = await sim.execute(parsePlistStrict(r.body) as PlistDict);
    expect((await sim.report({ Status: h.status, CommandUUID: h.uuid, ...h.response })).command).toBeNull();

    // Without a CommandUUID near the start, the command last sent is the one failed.
    const third = await enqueueCommand(d.id, "SecurityInfo", {}, { push: false });
    expect((await sim.report({ Status: "Idle" })).command?.CommandUUID).toBe(third.uuid);
    const unsorted = new TextEncoder().encode(buildPlist({ Status: "Acknowledged", Junk: new Uint8Array(LIMITS.command), UDID: sim.udid, CommandUUID: third.uuid }));
    const r2 = await sim.put(sim.serverUrl, unsorted, { contentType: "application/x-apple-aspen-mdm" });
    expect(r2.status).toBe(200);
    expect((await t.client.command.findUniqueOrThrow({ where: { uuid: third.uuid } })).status).toBe("ERROR");

    // Signed over other bytes, or by another device: nothing changes, the device gets 413 or 401.
    const fourth = await enqueueCommand(d.id, "SecurityInfo", {}, { push: false });
    await sim.report({ Status: "Idle" });
    const forged = await sim.put(sim.serverUrl, unsorted, { contentType: "application/x-apple-aspen-mdm", signature: await sim.sign(new TextEncoder().encode("other bytes")) });
    expect(forged.status).toBe(413);
    const other = await enrolledSim();
    await other.authenticate();
    const impostor = await simDevice(server, topic, other.identity!, { udid: sim.udid });
    // Another device's certificate only ever speaks for its own device, which waits for no answer.
    expect((await impostor.put(sim.serverUrl, unsorted, { contentType: "application/x-apple-aspen-mdm" })).status).toBe(413);
    expect((await t.client.command.findUniqueOrThrow({ where: { uuid: fourth.uuid } })).status).toBe("SENT");
  });
});

describe("refusals", () => {
  it("401 for unsigned, wrongly signed, foreign, revoked and other-device certificates, each logged", async () => {
    const victim = await enrolledSim();
    expect((await victim.authenticate()).status).toBe(200);
    await victim.tokenUpdate();

    const unsigned = await victim.report({ Status: "Idle" }, { sign: false });
    expect(unsigned.status).toBe(401);
    // The line lands on the claimed device's timeline, and says the identifier is only claimed.
    const unsignedLine = await lastLog();
    expect(unsignedLine).toMatchObject({ outcome: "ERROR", reason: "checkin_unauthenticated", deviceIdentifier: victim.udid });
    expect(unsignedLine?.message).toContain(`[device ${victim.udid} as claimed by the refused message]`);

    // A valid signature, but over another body.
    const otherBody = new TextEncoder().encode(buildPlist({ Status: "Idle", UDID: "something-else" }));
    const wrong = await victim.report({ Status: "Idle" }, { signature: await victim.sign(otherBody) });
    expect(wrong.status).toBe(401);
    expect((await lastLog())?.message).toMatch(/does not verify/);

    const garbage = await victim.report({ Status: "Idle" }, { signature: "bm90IGEgY21z" });
    expect(garbage.status).toBe(401);

    const foreign = await simDevice(server, topic, await foreignIdentity(`CN=${victim.udid}`), { udid: victim.udid });
    expect((await foreign.report({ Status: "Idle" })).status).toBe(401);
    expect((await lastLog())?.message).toMatch(/not issued by this server/);
    expect((await foreign.authenticate()).status).toBe(401);

    // Another enrolled device's certificate used to speak for the victim.
    const other = await enrolledSim();
    await other.authenticate();
    const impostor = await simDevice(server, topic, other.identity!, { udid: victim.udid });
    expect((await impostor.report({ Status: "Idle" })).status).toBe(401);
    expect(await lastLog(victim.udid)).toMatchObject({ reason: "checkin_cert_mismatch" });
    expect((await impostor.authenticate()).status).toBe(401);
    expect(await lastLog(victim.udid)).toMatchObject({ reason: "checkin_cert_mismatch" });
    expect((await impostor.tokenUpdate()).status).toBe(401);
    // The victim's record is untouched.
    expect((await t.client.device.findUniqueOrThrow({ where: { identifier: victim.udid } })).pushMagic).toBe(victim.pushMagic);

    // A certificate that never authenticated cannot report for an existing device.
    const fresh = await simDevice(server, topic, await issueIdentity(`CN=${victim.udid}`), { udid: victim.udid });
    expect((await fresh.report({ Status: "Idle" })).status).toBe(401);

    const cert = await t.client.certificate.findFirstOrThrow({ where: { device: { identifier: victim.udid } } });
    await revokeCertificate(cert.serial, { reason: "test" });
    expect((await victim.report({ Status: "Idle" })).status).toBe(401);
    expect(await lastLog()).toMatchObject({ reason: "checkin_cert_revoked", deviceIdentifier: victim.udid });
    expect((await victim.tokenUpdate()).status).toBe(401);
    const revokedLine = await lastLog();
    expect(revokedLine).toMatchObject({ reason: "checkin_cert_revoked", deviceIdentifier: victim.udid, tokenId: cert.enrollmentTokenId });
    expect(revokedLine?.message).toMatch(/^check-in refused: identity certificate \S+ was revoked \(test\) \[device \S+ as claimed by the refused message\]$/);
    // A body that names no device: the certificate's device is named instead.
    const anonymous = await victim.put(victim.checkInUrl, new TextEncoder().encode(buildPlist({ MessageType: "TokenUpdate" })), { contentType: "application/x-apple-aspen-mdm-checkin" });
    expect(anonymous.status).toBe(401);
    const boundLine = await lastLog();
    expect(boundLine).toMatchObject({ reason: "checkin_cert_revoked", deviceIdentifier: victim.udid });
    expect(boundLine?.message).toContain(`[device ${victim.udid}: the certificate is bound to it; the message claims no identifier]`);
    // The impostor's line names the claimed device and the one the certificate belongs to.
    expect((await impostor.report({ Status: "Idle" })).status).toBe(401);
    expect((await lastLog())?.message).toContain(`[device ${victim.udid} as claimed by the refused message; the certificate is bound to ${other.udid}]`);
  });

  it("4xx for malformed plists, entities and DTD expansion, binary plists, oversize bodies and unknown types — never 500", async () => {
    const sim = await enrolledSim();
    await sim.authenticate();
    const enc = (s: string) => new TextEncoder().encode(s);
    const send = (body: Uint8Array, url = sim.checkInUrl) => sim.put(url, body, { contentType: "application/x-apple-aspen-mdm-checkin" });
    const doctype = `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`;
    const cases: [string, string][] = [
      ["truncated", `<?xml version="1.0"?><plist version="1.0"><dict><key>MessageType</key><string>Authenticate`],
      ["not xml", `hello`],
      ["openstep", `{ MessageType = Authenticate; }`],
      ["xxe", `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><plist version="1.0"><dict><key>MessageType</key><string>&xxe;</string></dict></plist>`],
      [
        "billion laughs",
        `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><plist version="1.0"><string>&lol2;</string></plist>`,
      ],
      ["external dtd", `<?xml version="1.0"?><!DOCTYPE plist SYSTEM "http://evil.example/x.dtd"><plist version="1.0"><dict/></plist>`],
      ["mismatched tags", `<?xml version="1.0"?>${doctype}<plist version="1.0"><dict><key>MessageType</key><string>Authenticate</integer></dict></plist>`],
      ["bad integer", `<?xml version="1.0"?><plist version="1.0"><dict><key>MessageType</key><integer>12abc</integer></dict></plist>`],
      ["deep nesting", `<?xml version="1.0"?><plist version="1.0">${"<array>".repeat(5000)}${"</array>".repeat(5000)}</plist>`],
      ["proto key", `<?xml version="1.0"?><plist version="1.0"><dict><key>__proto__</key><dict/></dict></plist>`],
      ["not a dict", `<?xml version="1.0"?><plist version="1.0"><array/></plist>`],
      ["unknown type", `<?xml version="1.0"?>${doctype}<plist version="1.0"><dict><key>MessageType</key><string>Frobnicate</string><key>UDID</key><string>${sim.udid}</string></dict></plist>`],
      ["schema violation", `<?xml version="1.0"?>${doctype}<plist version="1.0"><dict><key>MessageType</key><string>TokenUpdate</string><key>UDID</key><string>${sim.udid}</string></dict></plist>`],
    ];
    for (const [name, body] of cases) {
      const r = await send(enc(body));
      expect(r.status, name).toBeGreaterThanOrEqual(400);
      expect(r.status, name).toBeLessThan(500);
      const line = await lastLog();
      expect(line?.outcome, name).toBe("ERROR");
    }
    expect((await lastLog())?.reason).toBe("checkin_malformed");
    const unknown = await send(enc(cases.find(([n]) => n === "unknown type")![1]));
    expect(unknown.status).toBe(400);
    expect(await lastLog()).toMatchObject({ reason: "checkin_unknown_type" });

    const bplist = await send(new Uint8Array(Buffer.from("bplist00\xd1\x01\x02", "latin1")));
    expect(bplist.status).toBe(400);

    const big = enc(`<?xml version="1.0"?><plist version="1.0"><string>${"A".repeat(LIMITS.checkin + 10)}</string></plist>`);
    const tooBig = await sim.put(sim.checkInUrl, big, { contentType: "application/x-apple-aspen-mdm-checkin", signature: "AAAA" });
    expect(tooBig.status).toBe(413);
    expect(await lastLog()).toMatchObject({ reason: "body_too_large" });
    const tooBigReport = await sim.put(sim.serverUrl, enc("x".repeat(LIMITS.command + 1)), { contentType: "application/x-apple-aspen-mdm", signature: "AAAA" });
    expect(tooBigReport.status).toBe(413);

    // Apple's DOCTYPE line is fine, and the endpoint still works afterwards.
    expect((await sim.tokenUpdate()).status).toBe(200);
    for (const st of ["Sleeping", "toString", "constructor", "__proto__"]) {
      const badStatus = await sim.report({ Status: st, CommandUUID: "X" });
      expect(badStatus.status, st).toBe(400);
    }
    const noUuid = await sim.report({ Status: "Acknowledged" });
    expect(noUuid.status).toBe(400);
  });

  it("signed, fuzzed bodies never get a 5xx and the endpoints keep answering", async () => {
    const sim = await enrolledSim();
    await sim.authenticate();
    await sim.tokenUpdate();
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bases = [buildPlist(sim.tokenUpdateMessage()), buildPlist({ UDID: sim.udid, Status: "Acknowledged", CommandUUID: "X", ProfileList: [{ PayloadIdentifier: "a", PayloadUUID: "b" }] })];
    const junk = ["<", ">", "&", "<dict>", "</dict>", "<key>", "<![CDATA[", "]]>", "\u0000", "<!--", "&#0;", "&#x110000;", "<data>", "====", "\uFFFF", "<?pi?>"];
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      let text = bases[i % bases.length];
      for (let m = 0; m < 1 + rand(4); m++) {
        const at = rand(text.length);
        const op = rand(3);
        if (op === 0) text = text.slice(0, at) + junk[rand(junk.length)] + text.slice(at);
        else if (op === 1) text = text.slice(0, at) + text.slice(at + 1 + rand(20));
        else text = text.slice(0, at);
      }
      const url = i % 2 === 0 ? sim.checkInUrl : sim.serverUrl;
      const r = await sim.put(url, new TextEncoder().encode(text), { contentType: "application/x-apple-aspen-mdm" });
      statuses.push(r.status);
    }
    expect(statuses.filter((st) => st >= 500)).toEqual([]);
    expect(statuses.some((st) => st >= 400)).toBe(true);
    expect((await sim.report({ Status: "Idle" })).status).toBe(200);
  });
});
