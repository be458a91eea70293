// Device actions and commands over the admin API, delivered to the device simulator: each
// command the device receives must pass Apple's own command schema, the device answers
// it, and the timeline (enrollment log) shows the queueing and the result. Availability
// follows Apple's schemas: a user enrollment is not offered Erase.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/lib/auth/apiKeys";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { actionDevice, availableActions } from "@/lib/mdm/deviceActions";
import { buildPlist, type PlistDict } from "@/lib/plist/plist";
import { validateCommand } from "@/lib/profiles/appleSchema";
import { startAdminApi, type AdminApi } from "@/test/helpers/adminApi";
import type { RouteServer } from "@/test/helpers/routeServer";
import { issueIdentity, randomUdid, simDevice } from "./helpers";

let api: AdminApi;
let ownerKey: string;
let topic: string;

beforeAll(async () => {
  api = await startAdminApi("actions", {
    "/mdm/checkin": import("@/app/mdm/checkin/route"),
    "/mdm/connect": import("@/app/mdm/connect/route"),
    "/api/v1/devices/[udid]/commands": import("@/app/api/v1/devices/[udid]/commands/route"),
    "/api/v1/devices/[udid]/commands/[uuid]": import("@/app/api/v1/devices/[udid]/commands/[uuid]/route"),
    "/api/v1/devices/[udid]/actions/[action]": import("@/app/api/v1/devices/[udid]/actions/[action]/route"),
  });
  ownerKey = (await createApiKey("actions-owner", "OWNER")).key;
  topic = await currentMdmTopic();
});
afterAll(async () => {
  await api?.close();
});

async function enrolledSim(mac = false, supervised = false) {
  const udid = randomUdid();
  const id = await issueIdentity(`CN=${udid}`);
  const macOpts = mac ? { productName: "Mac15,3", model: "Mac15,3", modelName: "MacBook Pro", osVersion: "15.2", buildVersion: "24C101" } : {};
  const sim = await simDevice(api.server as RouteServer, topic, id, { udid, supervised, ...macOpts });
  await sim.enrollMdm();
  return sim;
}

async function timeline(identifier: string): Promise<string[]> {
  const lines = await api.db.client.enrollmentLog.findMany({ where: { deviceIdentifier: identifier }, orderBy: [{ time: "asc" }, { id: "asc" }] });
  return lines.map((l) => l.message);
}

describe("device actions from the API", () => {
  it("Lock, Erase, Restart and Clear passcode reach the device schema-valid and are acknowledged; the timeline shows each", async () => {
    // A supervised iPhone: Apple's schema allows RestartDevice on iOS only when supervised,
    // which the server learns from the device's DeviceInformation answer.
    const sim = await enrolledSim(false, true);
    expect((await api.call(`/api/v1/devices/${sim.udid}/actions/update-inventory`, api.adminKey, { method: "POST" })).status).toBe(201);
    const [inventory] = await sim.pollCommands();
    expect(inventory).toMatchObject({ requestType: "DeviceInformation", status: "Acknowledged" });
    expect(validateCommand("DeviceInformation", inventory.command as PlistDict)).toEqual([]);
    const sent: Record<string, { uuid: string; requestType: string }> = {};
    const bodies: Record<string, unknown> = {
      lock: { message: "Return to IT, floor 3", phoneNumber: "+1 555 0100" },
      erase: {},
      restart: undefined,
      "clear-passcode": undefined,
    };
    for (const [action, body] of Object.entries(bodies)) {
      const r = await api.call(`/api/v1/devices/${sim.udid}/actions/${action}`, api.adminKey, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });
      expect(r.status, action).toBe(201);
      sent[action] = (await r.json()) as { uuid: string; requestType: string };
    }
    expect(Object.values(sent).map((s) => s.requestType)).toEqual(["DeviceLock", "EraseDevice", "RestartDevice", "ClearPasscode"]);

    const handled = await sim.pollCommands();
    const byUuid = new Map(handled.map((h) => [h.uuid, h]));
    for (const s of Object.values(sent)) {
      const h = byUuid.get(s.uuid)!;
      expect(h, s.requestType).toBeDefined();
      expect(h.requestType).toBe(s.requestType);
      expect(validateCommand(h.requestType, h.command as PlistDict, { os: "iOS" })).toEqual([]);
      expect(h.status, s.requestType).toBe("Acknowledged");
    }
    const lock = byUuid.get(sent.lock.uuid)!.command;
    expect(lock).toMatchObject({ RequestType: "DeviceLock", Message: "Return to IT, floor 3", PhoneNumber: "+1 555 0100" });
    // The escrowed token from TokenUpdate, byte for byte (the simulator refuses any other).
    expect(Buffer.from(byUuid.get(sent["clear-passcode"].uuid)!.command.UnlockToken as Uint8Array).equals(sim.unlockToken)).toBe(true);

    const lines = await timeline(sim.udid);
    for (const s of Object.values(sent)) {
      expect(lines.some((l) => l.includes(`(${s.requestType} ${s.uuid}) queued by api-key:actions-admin`))).toBe(true);
      expect(lines).toContain(`${s.requestType} ${s.uuid}: Acknowledged`);
    }
    // Results on request, not in the list.
    const list = (await (await api.call(`/api/v1/devices/${sim.udid}/commands`, api.readKey)).json()) as { commands: Record<string, unknown>[] };
    expect(list.commands.every((c) => !("result" in c))).toBe(true);
    const one = (await (await api.call(`/api/v1/devices/${sim.udid}/commands/${sent.lock.uuid}`, api.readKey)).json()) as { command: { status: string; result: string } };
    expect(one.command.status).toBe("ACKNOWLEDGED");
    expect(one.command.result).toContain("<string>Acknowledged</string>");
  });

  it("a supervised iPhone: Rename, Lost Mode, location and Shut down go out schema-valid", async () => {
    const sim = await enrolledSim(false, true);
    await api.call(`/api/v1/devices/${sim.udid}/actions/update-inventory`, api.adminKey, { method: "POST" });
    await sim.pollCommands();
    const go = async (action: string, body?: unknown) => {
      const r = await api.call(`/api/v1/devices/${sim.udid}/actions/${action}`, api.adminKey, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });
      expect(r.status, action).toBe(201);
    };
    await go("rename", { deviceName: "Front desk iPad" });
    await go("enable-lost-mode", { message: "Please call", phoneNumber: "+1 555 0100", footnote: "Acme IT" });
    await go("request-location");
    await go("disable-lost-mode");
    await go("shutdown");
    expect((await api.call(`/api/v1/devices/${sim.udid}/actions/enable-lost-mode`, api.adminKey, { method: "POST", body: "{}" })).status).toBe(400);
    const handled = await sim.pollCommands();
    expect(handled.map((h) => h.requestType)).toEqual(["Settings", "EnableLostMode", "DeviceLocation", "DisableLostMode", "ShutDownDevice"]);
    for (const h of handled) expect(validateCommand(h.requestType, h.command as PlistDict, { os: "iOS" }), h.requestType).toEqual([]);
    expect(handled[0].command.Settings).toEqual([{ Item: "DeviceName", DeviceName: "Front desk iPad" }]);
    expect(handled[1].command).toMatchObject({ Message: "Please call", PhoneNumber: "+1 555 0100", Footnote: "Acme IT" });
  });

  it("an unsupervised iPhone is not offered Restart (supervised only on iOS)", async () => {
    const sim = await enrolledSim();
    const r = await api.call(`/api/v1/devices/${sim.udid}/actions/restart`, api.adminKey, { method: "POST" });
    expect(r.status).toBe(409);
  });

  it("a Mac lock needs a six-digit PIN; erase takes one", async () => {
    const sim = await enrolledSim(true);
    const noPin = await api.call(`/api/v1/devices/${sim.udid}/actions/lock`, api.adminKey, { method: "POST", body: "{}" });
    expect(noPin.status).toBe(400);
    expect((await api.call(`/api/v1/devices/${sim.udid}/actions/erase`, api.adminKey, { method: "POST", body: JSON.stringify({ pin: "12ab56" }) })).status).toBe(400);
    const ok = await api.call(`/api/v1/devices/${sim.udid}/actions/erase`, api.adminKey, { method: "POST", body: JSON.stringify({ pin: "123456" }) });
    expect(ok.status).toBe(201);
    const handled = await sim.pollCommands();
    const erase = handled.find((h) => h.requestType === "EraseDevice")!;
    expect(erase.command.PIN).toBe("123456");
    expect(validateCommand("EraseDevice", erase.command as PlistDict, { os: "macOS" })).toEqual([]);
  });

  it("Remove management sends RemoveProfile for the installed MDM profile (from ProfileList); the acknowledgement unenrolls", async () => {
    const sim = await enrolledSim();
    // The enrollment profile as the device reports it: a profile carrying a com.apple.mdm payload.
    const enrollment = buildPlist({
      PayloadType: "Configuration",
      PayloadVersion: 1,
      PayloadIdentifier: "com.example.enroll.abc",
      PayloadUUID: "6C1A2E1D-0000-4000-8000-0000000000AA",
      PayloadDisplayName: "Enrollment",
      PayloadContent: [{ PayloadType: "com.apple.mdm", PayloadVersion: 1, PayloadIdentifier: "com.example.enroll.abc.mdm", PayloadUUID: "6C1A2E1D-0000-4000-8000-0000000000AB" }],
    });
    await sim.installAsync(new TextEncoder().encode(enrollment), true);
    const early = await api.call(`/api/v1/devices/${sim.udid}/actions/remove-management`, api.adminKey, { method: "POST" });
    expect(early.status).toBe(409);
    expect(((await early.json()) as { error: string }).error).toBe("enrollment_profile_unknown");
    expect((await api.call(`/api/v1/devices/${sim.udid}/commands`, api.adminKey, { method: "POST", body: JSON.stringify({ requestType: "ProfileList" }) })).status).toBe(201);
    await sim.pollCommands();
    expect((await api.call(`/api/v1/devices/${sim.udid}/actions/remove-management`, api.adminKey, { method: "POST" })).status).toBe(201);
    const [h] = await sim.pollCommands();
    expect(h.command).toMatchObject({ RequestType: "RemoveProfile", Identifier: "com.example.enroll.abc" });
    expect(h.status).toBe("Acknowledged");
    expect((await api.db.client.device.findUnique({ where: { identifier: sim.udid } }))?.status).toBe("UNENROLLED");
    expect((await timeline(sim.udid)).some((l) => l.includes("device unenrolled"))).toBe(true);
    expect((await api.call(`/api/v1/devices/${sim.udid}/actions/restart`, api.adminKey, { method: "POST" })).status).toBe(409);
  });

  it("user enrollments are not offered Erase (Apple's schema: userenrollment forbidden), and the API refuses it", async () => {
    expect(availableActions(actionDevice({ platform: "iOS", enrollmentType: "USER_ENROLLMENT", info: null, unlockTokenEnc: null }))).not.toContain("erase");
    expect(availableActions(actionDevice({ platform: "macOS", enrollmentType: "USER_ENROLLMENT", info: null, unlockTokenEnc: null }))).not.toContain("lock");
    expect(availableActions(actionDevice({ platform: "iOS", enrollmentType: "OTA", info: null, unlockTokenEnc: null }))).toContain("erase");
    // Before the first DeviceInformation the platform is unknown: a user enrollment still gets no Erase.
    expect(availableActions(actionDevice({ platform: null, enrollmentType: "USER_ENROLLMENT", info: null, unlockTokenEnc: null }))).not.toContain("erase");
    // Lost Mode needs supervision.
    expect(availableActions(actionDevice({ platform: "iOS", enrollmentType: "OTA", info: null, unlockTokenEnc: null }))).not.toContain("enable-lost-mode");
    expect(availableActions(actionDevice({ platform: "iOS", enrollmentType: "OTA", info: JSON.stringify({ DeviceInformation: { IsSupervised: true } }), unlockTokenEnc: null }))).toContain(
      "enable-lost-mode",
    );
    const d = await api.db.client.device.create({
      data: { identifier: "BYOD-ENROLLMENT-ID-1", enrollmentId: "BYOD-ENROLLMENT-ID-1", platform: "iOS", enrollmentType: "USER_ENROLLMENT", status: "MANAGED" },
    });
    const r = await api.call(`/api/v1/devices/${d.identifier}/actions/erase`, api.adminKey, { method: "POST" });
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: string }).error).toBe("action_not_supported");
    expect(await api.db.client.command.count({ where: { deviceId: d.id } })).toBe(0);
  });
});

describe("hostile input", () => {
  it("malformed bodies, unknown actions, bad cursors and limits get clear 4xx answers, never 500", async () => {
    const sim = await enrolledSim();
    const a = (action: string, body?: string) => api.call(`/api/v1/devices/${sim.udid}/actions/${action}`, api.adminKey, { method: "POST", body });
    const cases: [Response, number, string][] = [
      [await a("lock", "{"), 400, "invalid_json"],
      [await a("lock", "[]"), 400, "invalid_action"],
      [await a("lock", JSON.stringify({ message: 5 })), 400, "invalid_action"],
      [await a("lock", JSON.stringify({ message: "x".repeat(501) })), 400, "invalid_action"],
      [await a("erase", JSON.stringify({ returnToService: "yes" })), 400, "invalid_action"],
      [await a("self-destruct"), 404, "not_found"],
      [await a("__proto__"), 404, "not_found"],
      [await api.call(`/api/v1/devices/NO-SUCH-DEVICE/actions/lock`, api.adminKey, { method: "POST" }), 404, "not_found"],
      [await api.call(`/api/v1/devices/${sim.udid}/commands?cursor=nope`, api.readKey), 400, "invalid_cursor"],
      [await api.call(`/api/v1/devices/${sim.udid}/commands/nope`, api.readKey), 404, "not_found"],
      [await api.call(`/api/v1/devices/${sim.udid}/actions/lock`, api.readKey, { method: "POST" }), 403, "forbidden"],
    ];
    for (const [r, status, code] of cases) {
      expect(r.status).toBe(status);
      expect(((await r.json()) as { error: string }).error).toBe(code);
    }
    const big = await api.call(`/api/v1/devices/${sim.udid}/commands?limit=100000`, api.readKey);
    expect(big.status).toBe(200);
    const odd = await api.call(`/api/v1/devices/${sim.udid}/commands?limit=abc`, api.readKey);
    expect(odd.status).toBe(200);
  });
});

describe("commands from the API", () => {
  it("Owners send any command Apple's schema knows, validated first; Admins only the policy types", async () => {
    const sim = await enrolledSim();
    const path = `/api/v1/devices/${sim.udid}/commands`;
    const body = JSON.stringify({ requestType: "RestartDevice", params: { NotifyUser: true } });
    expect((await api.call(path, api.adminKey, { method: "POST", body })).status).toBe(400);
    const bad = await api.call(path, ownerKey, { method: "POST", body: JSON.stringify({ requestType: "RestartDevice", params: { NotifyUser: "yes" } }) });
    expect(bad.status).toBe(400);
    expect((await api.call(path, ownerKey, { method: "POST", body: JSON.stringify({ requestType: "NoSuchCommand" }) })).status).toBe(400);
    const ok = await api.call(path, ownerKey, { method: "POST", body });
    expect(ok.status).toBe(201);
    const [h] = await sim.pollCommands();
    expect(h).toMatchObject({ requestType: "RestartDevice", status: "Acknowledged" });
    expect(h.command.NotifyUser).toBe(true);
  });

  it("cancels an undelivered command (not a delivered one); bounds the live queue with 429; pages the list", async () => {
    process.env.MAX_LIVE_COMMANDS = "3";
    try {
      const sim = await enrolledSim();
      const path = `/api/v1/devices/${sim.udid}/commands`;
      const send = () => api.call(path, api.adminKey, { method: "POST", body: JSON.stringify({ requestType: "ProfileList" }) });
      const uuids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await send();
        expect(r.status).toBe(201);
        uuids.push(((await r.json()) as { uuid: string }).uuid);
      }
      const full = await send();
      expect(full.status).toBe(429);
      expect(((await full.json()) as { error: string }).error).toBe("command_queue_full");

      expect((await api.call(`${path}/${uuids[2]}`, api.readKey, { method: "DELETE" })).status).toBe(403);
      expect((await api.call(`${path}/${uuids[2]}`, api.adminKey, { method: "DELETE" })).status).toBe(200);
      expect((await api.call(`${path}/${uuids[2]}`, api.adminKey)).status).toBe(404);
      // Delivered (SENT) commands cannot be taken back.
      const first = await sim.report({ Status: "Idle" });
      expect(first.command?.CommandUUID).toBe(uuids[0]);
      const sentCancel = await api.call(`${path}/${uuids[0]}`, api.adminKey, { method: "DELETE" });
      expect(sentCancel.status).toBe(409);
      expect((await send()).status).toBe(201);

      const page1 = (await (await api.call(`${path}?limit=2`, api.readKey)).json()) as { commands: { uuid: string }[]; nextCursor: string | null };
      expect(page1.commands).toHaveLength(2);
      expect(page1.nextCursor).toBe(page1.commands[1].uuid);
      const page2 = (await (await api.call(`${path}?limit=2&cursor=${page1.nextCursor}`, api.readKey)).json()) as { commands: { uuid: string }[]; nextCursor: string | null };
      const all = [...page1.commands, ...page2.commands].map((c) => c.uuid);
      expect(new Set(all).size).toBe(all.length);
      expect(all).toEqual(expect.arrayContaining([uuids[0], uuids[1]]));
    } finally {
      delete process.env.MAX_LIVE_COMMANDS;
    }
  });
});
