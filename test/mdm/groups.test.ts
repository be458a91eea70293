import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { createGroup, deleteGroup, getGroup, listGroups, moveDeviceToGroup, updateGroup } from "@/lib/mdm/groups";
import { addPolicy, removePolicy, reorderPolicies, resendPolicies } from "@/lib/mdm/policies";
import { enqueueCommand, nextCommand } from "@/lib/mdm/commands";
import { removeDevice } from "@/lib/mdm/devices";
import { parsePlistStrict, type PlistDict } from "@/lib/plist/plist";
import { validateCommand } from "@/lib/profiles/appleSchema";
import { AppError } from "@/lib/errors";
import { restrictionsProfile } from "./fixtures/profiles";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.close();
});
beforeEach(async () => {
  await t.client.command.deleteMany();
  await t.client.device.deleteMany();
  await t.client.deviceGroup.deleteMany();
});

async function device(identifier: string, groupId: string | null, status: "PENDING" | "ENROLLED" | "MANAGED" = "ENROLLED") {
  return t.client.device.create({ data: { identifier, udid: identifier, groupId, status } });
}

async function drain(deviceId: string): Promise<{ type: string; dict: PlistDict }[]> {
  const out: { type: string; dict: PlistDict }[] = [];
  for (;;) {
    const c = await nextCommand(deviceId);
    if (!c) return out;
    const dict = parsePlistStrict(c.payload) as PlistDict;
    expect(validateCommand(c.requestType, dict)).toEqual([]);
    out.push({ type: c.requestType, dict });
    await t.client.command.update({ where: { uuid: c.uuid }, data: { status: "ACKNOWLEDGED", completedAt: new Date() } });
  }
}

describe("groups", () => {
  it("creates, lists with counts, updates, rejects duplicates and deletes", async () => {
    const g = await createGroup({ name: "Engineering", description: "BYOD" });
    await createGroup({ name: "Sales" });
    await expect(createGroup({ name: "Sales" })).rejects.toMatchObject({ status: 409 });
    await expect(createGroup({ name: "  " })).rejects.toMatchObject({ status: 400 });
    await device("UDID-1", g.id);
    await addPolicy(g.id, { kind: "COMMAND", requestType: "ProfileList" });
    const list = await listGroups();
    expect(list.map((x) => [x.name, x.deviceCount, x.policyCount])).toEqual([
      ["Engineering", 1, 1],
      ["Sales", 0, 0],
    ]);
    const u = await updateGroup(g.id, { name: "Eng" });
    expect(u.name).toBe("Eng");
    await deleteGroup(g.id);
    expect(await getGroup(g.id)).toBeNull();
    expect((await t.client.device.findUniqueOrThrow({ where: { identifier: "UDID-1" } })).groupId).toBeNull();
  });
});

describe("policies", () => {
  it("validates uploads and commands with the schema errors in the message", async () => {
    const g = await createGroup({ name: "G" });
    const bad = new TextEncoder().encode(`<?xml version="1.0"?><plist version="1.0"><dict><key>PayloadType</key><string>Configuration</string></dict></plist>`);
    const err = await addPolicy(g.id, { kind: "PROFILE", mobileconfig: bad }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("invalid_policy");
    expect((err as AppError).message).toMatch(/PayloadIdentifier: required key is missing/);
    await expect(addPolicy(g.id, { kind: "PROFILE", mobileconfig: new TextEncoder().encode("not a plist") })).rejects.toMatchObject({ code: "invalid_policy" });
    await expect(addPolicy(g.id, { kind: "COMMAND", requestType: "EraseDevice" })).rejects.toMatchObject({ code: "invalid_policy" });
    const e2 = await addPolicy(g.id, { kind: "COMMAND", requestType: "RemoveProfile", params: {} }).catch((e: unknown) => e as AppError);
    expect((e2 as AppError).message).toMatch(/Identifier: required key is missing/);
  });

  it("accepts a signed profile (CMS verified and unwrapped) and refuses a tampered one", async () => {
    const { signProfile } = await import("@/lib/profiles/signProfile");
    const g = await createGroup({ name: "Signed" });
    const d = await device("UDID-S", g.id);
    const signed = await signProfile(restrictionsProfile("com.example.signed", "Signed restrictions"));
    const p = await addPolicy(g.id, { kind: "PROFILE", mobileconfig: signed });
    expect(p).toMatchObject({ profileIdentifier: "com.example.signed", name: "Signed restrictions" });
    // The device receives the profile exactly as uploaded, signature included.
    const [install] = await drain(d.id);
    expect(Buffer.from((install.dict.Command as PlistDict).Payload as Uint8Array).equals(Buffer.from(signed))).toBe(true);

    const tampered = Buffer.from(signed);
    const at = tampered.indexOf(Buffer.from("com.example.signed"));
    tampered[at] = "C".charCodeAt(0);
    const err = await addPolicy(g.id, { kind: "PROFILE", mobileconfig: new Uint8Array(tampered) }).catch((e: unknown) => e as AppError);
    expect(err).toMatchObject({ code: "invalid_policy" });
    expect((err as AppError).message).toMatch(/signed profile does not verify/);
    await expect(addPolicy(g.id, { kind: "PROFILE", mobileconfig: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]) })).rejects.toMatchObject({ code: "invalid_policy" });
  });

  it("queues the difference for enrolled members, in order", async () => {
    const g = await createGroup({ name: "G" });
    const d = await device("UDID-A", g.id);
    const pending = await device("UDID-P", g.id, "PENDING");
    const p1 = await addPolicy(g.id, { kind: "PROFILE", mobileconfig: restrictionsProfile() });
    expect(p1.name).toBe("No camera");
    expect(p1.profileIdentifier).toBe("com.example.restrictions");
    const p2 = await addPolicy(g.id, { kind: "COMMAND", requestType: "DeviceInformation", params: { Queries: ["DeviceName"] } });
    let cmds = await drain(d.id);
    expect(cmds.map((c) => c.type)).toEqual(["InstallProfile", "DeviceInformation"]);
    const payload = (cmds[0].dict.Command as PlistDict).Payload as Uint8Array;
    expect(Buffer.from(payload).toString()).toContain("com.example.restrictions");
    expect(await drain(pending.id)).toEqual([]);

    await removePolicy(p1.id);
    cmds = await drain(d.id);
    expect(cmds.map((c) => [c.type, (c.dict.Command as PlistDict).Identifier])).toEqual([["RemoveProfile", "com.example.restrictions"]]);

    const p3 = await addPolicy(g.id, { kind: "COMMAND", requestType: "SecurityInfo" });
    await drain(d.id);
    const order = await reorderPolicies(g.id, [p3.id, p2.id]);
    expect(order.map((p) => p.id)).toEqual([p3.id, p2.id]);
    await expect(reorderPolicies(g.id, [p3.id])).rejects.toMatchObject({ code: "invalid_order" });
    expect((await getGroup(g.id))!.policies.map((p) => p.requestType)).toEqual(["SecurityInfo", "DeviceInformation"]);

    expect(await resendPolicies(d.id)).toEqual({ queued: 2 });
    expect((await drain(d.id)).map((c) => c.type)).toEqual(["SecurityInfo", "DeviceInformation"]);
  });

  it("moving a device queues the new group's policies and removes the old group's profiles", async () => {
    const a = await createGroup({ name: "A" });
    const b = await createGroup({ name: "B" });
    await addPolicy(a.id, { kind: "PROFILE", mobileconfig: restrictionsProfile("com.example.a") });
    await addPolicy(b.id, { kind: "PROFILE", mobileconfig: restrictionsProfile("com.example.b") });
    const d = await device("UDID-M", a.id, "MANAGED");
    expect(await moveDeviceToGroup(d.id, b.id)).toEqual({ queued: 2 });
    const cmds = await drain(d.id);
    expect(cmds.map((c) => c.type)).toEqual(["RemoveProfile", "InstallProfile"]);
    expect(await moveDeviceToGroup(d.id, null)).toEqual({ queued: 1 });
  });
});

describe("command queue", () => {
  it("delivers in order until acknowledged, validates, and removeDevice cleans up", async () => {
    const d = await device("UDID-Q", null);
    await expect(enqueueCommand(d.id, "RemoveProfile", {})).rejects.toMatchObject({ code: "invalid_command" });
    for (const rt of ["constructor", "toString", "NoSuchCommand", "../x"]) await expect(enqueueCommand(d.id, rt)).rejects.toMatchObject({ code: "invalid_command" });
    const a = await enqueueCommand(d.id, "ProfileList");
    const b = await enqueueCommand(d.id, "SecurityInfo");
    expect((await nextCommand(d.id))!.uuid).toBe(a.uuid);
    // not acknowledged: delivered again
    expect((await nextCommand(d.id))!.uuid).toBe(a.uuid);
    await t.client.command.update({ where: { uuid: a.uuid }, data: { status: "NOT_NOW" } });
    expect((await nextCommand(d.id, { skipNotNow: true }))!.uuid).toBe(b.uuid);
    await removeDevice(d.id);
    expect(await t.client.command.count()).toBe(0);
    await expect(enqueueCommand(d.id, "ProfileList")).rejects.toMatchObject({ status: 404 });
  });
});

describe("command history pruning", () => {
  it("deletes finished commands past the retention window and keeps live and recent ones", async () => {
    const { pruneCommandHistory } = await import("@/lib/mdm/commands");
    const d = await device("UDID-PRUNE", null);
    const old = new Date(Date.now() - 40 * 86_400_000);
    const recent = new Date(Date.now() - 86_400_000);
    const rows = [
      { uuid: "p-old-ack", status: "ACKNOWLEDGED" as const, completedAt: old },
      { uuid: "p-old-err", status: "ERROR" as const, completedAt: old },
      { uuid: "p-recent", status: "ACKNOWLEDGED" as const, completedAt: recent },
      { uuid: "p-live", status: "NOT_NOW" as const, completedAt: null, createdAt: old },
    ];
    for (const r of rows) await t.client.command.create({ data: { ...r, deviceId: d.id, requestType: "ProfileList", payload: "<plist/>" } });
    expect(await pruneCommandHistory(30)).toBe(2);
    expect((await t.client.command.findMany({ where: { deviceId: d.id }, orderBy: { uuid: "asc" } })).map((c) => c.uuid)).toEqual(["p-live", "p-recent"]);
  });
});
