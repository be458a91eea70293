// The groups, policies and device-commands API over real HTTP: roles, validation with
// Apple's schema errors, uploads (JSON base64, multipart, raw), and queueing for members.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextCommand } from "@/lib/mdm/commands";
import { parsePlistStrict, type PlistDict } from "@/lib/plist/plist";
import { validateCommand } from "@/lib/profiles/appleSchema";
import { startAdminApi, type AdminApi } from "@/test/helpers/adminApi";
import { restrictionsProfile } from "./fixtures/profiles";

let api: AdminApi;
let adminKey: string;
let readKey: string;

beforeAll(async () => {
  api = await startAdminApi("mdm", {
    "/api/v1/groups": import("@/app/api/v1/groups/route"),
    "/api/v1/groups/[id]": import("@/app/api/v1/groups/[id]/route"),
    "/api/v1/groups/[id]/policies": import("@/app/api/v1/groups/[id]/policies/route"),
    "/api/v1/groups/[id]/policies/[policyId]": import("@/app/api/v1/groups/[id]/policies/[policyId]/route"),
    "/api/v1/devices/[udid]/commands": import("@/app/api/v1/devices/[udid]/commands/route"),
  });
  ({ adminKey, readKey } = api);
});
afterAll(async () => {
  await api?.close();
});

const call: AdminApi["call"] = (path, key, init) => api.call(path, key, init);

async function drain(deviceId: string): Promise<string[]> {
  const types: string[] = [];
  for (let c = await nextCommand(deviceId); c; c = await nextCommand(deviceId)) {
    expect(validateCommand(c.requestType, parsePlistStrict(c.payload) as PlistDict)).toEqual([]);
    types.push(c.requestType);
    await api.db.client.command.update({ where: { uuid: c.uuid }, data: { status: "ACKNOWLEDGED", completedAt: new Date() } });
  }
  return types;
}

describe("/api/v1/groups", () => {
  it("creates and lists groups; read-only keys cannot create; bad input is 400/409", async () => {
    const created = await call("/api/v1/groups", adminKey, { method: "POST", body: JSON.stringify({ name: "Field iPads", description: "Warehouse" }) });
    expect(created.status).toBe(201);
    const g = (await created.json()) as { id: string; name: string };
    expect(g.name).toBe("Field iPads");
    expect((await call("/api/v1/groups", readKey, { method: "POST", body: JSON.stringify({ name: "X" }) })).status).toBe(403);
    expect((await call("/api/v1/groups", adminKey, { method: "POST", body: JSON.stringify({ name: "Field iPads" }) })).status).toBe(409);
    expect((await call("/api/v1/groups", adminKey, { method: "POST", body: "{" })).status).toBe(400);
    expect((await call("/api/v1/groups", adminKey, { method: "POST", body: JSON.stringify({}) })).status).toBe(400);
    expect((await call("/api/v1/groups", "oek_wrong")).status).toBe(401);
    const listed = (await (await call("/api/v1/groups", readKey)).json()) as { groups: { id: string; deviceCount: number; policyCount: number }[] };
    expect(listed.groups.find((x) => x.id === g.id)).toMatchObject({ deviceCount: 0, policyCount: 0 });
  });

  it("adds policies in three upload forms and queues them for enrolled members", async () => {
    const g = (await (await call("/api/v1/groups", adminKey, { method: "POST", body: JSON.stringify({ name: "Policies" }) })).json()) as { id: string };
    const device = await api.db.client.device.create({ data: { identifier: "API-UDID-1", udid: "API-UDID-1", groupId: g.id, status: "MANAGED" } });
    const path = `/api/v1/groups/${g.id}/policies`;

    const json = await call(path, adminKey, { method: "POST", body: JSON.stringify({ kind: "PROFILE", mobileconfig: Buffer.from(restrictionsProfile("com.example.json")).toString("base64") }) });
    expect(json.status).toBe(201);
    expect(await json.json()).toMatchObject({ kind: "PROFILE", profileIdentifier: "com.example.json", position: 0 });

    const form = new FormData();
    form.set("mobileconfig", new Blob([Buffer.from(restrictionsProfile("com.example.form"))]), "x.mobileconfig");
    form.set("name", "From a form");
    const multipart = await call(path, adminKey, { method: "POST", body: form });
    expect(multipart.status).toBe(201);
    expect(await multipart.json()).toMatchObject({ name: "From a form", position: 1 });

    const raw = await call(path, adminKey, { method: "POST", headers: { "content-type": "application/x-apple-aspen-config" }, body: Buffer.from(restrictionsProfile("com.example.raw")) });
    expect(raw.status).toBe(201);

    const cmd = await call(path, adminKey, { method: "POST", body: JSON.stringify({ kind: "COMMAND", requestType: "DeviceInformation", params: { Queries: ["DeviceName", "OSVersion"] } }) });
    expect(cmd.status).toBe(201);

    const bad = await call(path, adminKey, { method: "POST", body: JSON.stringify({ kind: "COMMAND", requestType: "DeviceInformation", params: { Queries: ["NoSuchQuery"] } }) });
    expect(bad.status).toBe(400);
    const err = (await bad.json()) as { error: string; message: string };
    expect(err.error).toBe("invalid_policy");
    expect(err.message).toMatch(/NoSuchQuery/);
    const badProfile = await call(path, adminKey, { method: "POST", body: JSON.stringify({ kind: "PROFILE", mobileconfig: Buffer.from("<plist><dict/></plist>").toString("base64") }) });
    expect(badProfile.status).toBe(400);
    expect(((await badProfile.json()) as { message: string }).message).toMatch(/required key is missing/);
    expect((await call(`/api/v1/groups/nope/policies`, adminKey, { method: "POST", body: JSON.stringify({ kind: "COMMAND", requestType: "ProfileList" }) })).status).toBe(404);

    expect(await drain(device.id)).toEqual(["InstallProfile", "InstallProfile", "InstallProfile", "DeviceInformation"]);
  });
});

describe("/api/v1/devices/{udid}/commands", () => {
  it("queues an allowed command and lists it; refuses other types, unknown devices and read-only keys", async () => {
    const device = await api.db.client.device.create({ data: { identifier: "API-UDID-2", udid: "API-UDID-2", status: "ENROLLED" } });
    const path = `/api/v1/devices/API-UDID-2/commands`;
    const sent = await call(path, adminKey, { method: "POST", body: JSON.stringify({ requestType: "ProfileList", params: { ManagedOnly: true } }) });
    expect(sent.status).toBe(201);
    const { uuid } = (await sent.json()) as { uuid: string };
    expect((await call(path, readKey, { method: "POST", body: JSON.stringify({ requestType: "ProfileList" }) })).status).toBe(403);
    expect((await call(path, adminKey, { method: "POST", body: JSON.stringify({ requestType: "EraseDevice" }) })).status).toBe(400);
    expect((await call(path, adminKey, { method: "POST", body: JSON.stringify({ requestType: "RemoveProfile" }) })).status).toBe(400);
    expect((await call(`/api/v1/devices/NOPE/commands`, adminKey, { method: "POST", body: JSON.stringify({ requestType: "ProfileList" }) })).status).toBe(404);
    const listed = (await (await call(path, readKey)).json()) as { commands: { uuid: string; status: string; requestType: string }[] };
    expect(listed.commands).toEqual([expect.objectContaining({ uuid, status: "QUEUED", requestType: "ProfileList" })]);
    expect(await drain(device.id)).toEqual(["ProfileList"]);
  });
});

describe("/api/v1/groups/{id}", () => {
  it("shows, updates, reorders and removes policies, deletes the group", async () => {
    const g = (await (await call("/api/v1/groups", adminKey, { method: "POST", body: JSON.stringify({ name: "Edit me" }) })).json()) as { id: string };
    const device = await api.db.client.device.create({ data: { identifier: "API-UDID-3", udid: "API-UDID-3", groupId: g.id, status: "MANAGED" } });
    const add = async (body: unknown) => (await (await call(`/api/v1/groups/${g.id}/policies`, adminKey, { method: "POST", body: JSON.stringify(body) })).json()) as { id: string };
    const profile = await add({ kind: "PROFILE", mobileconfig: Buffer.from(restrictionsProfile("com.example.edit")).toString("base64") });
    const cmd = await add({ kind: "COMMAND", requestType: "SecurityInfo" });
    await drain(device.id);

    const shown = (await (await call(`/api/v1/groups/${g.id}`, readKey)).json()) as { name: string; deviceCount: number; policies: { id: string }[] };
    expect(shown).toMatchObject({ name: "Edit me", deviceCount: 1 });
    expect(shown.policies.map((p) => p.id)).toEqual([profile.id, cmd.id]);
    expect((await call(`/api/v1/groups/nope`, readKey)).status).toBe(404);

    const patched = await call(`/api/v1/groups/${g.id}`, adminKey, { method: "PATCH", body: JSON.stringify({ name: "Edited", description: null }) });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ name: "Edited", description: null });
    expect((await call(`/api/v1/groups/${g.id}`, readKey, { method: "PATCH", body: JSON.stringify({ name: "x" }) })).status).toBe(403);

    const reordered = await call(`/api/v1/groups/${g.id}/policies`, adminKey, { method: "PUT", body: JSON.stringify({ orderedIds: [cmd.id, profile.id] }) });
    expect(reordered.status).toBe(200);
    expect(((await reordered.json()) as { policies: { id: string; position: number }[] }).policies.map((p) => [p.id, p.position])).toEqual([
      [cmd.id, 0],
      [profile.id, 1],
    ]);
    expect((await call(`/api/v1/groups/${g.id}/policies`, adminKey, { method: "PUT", body: JSON.stringify({ orderedIds: [cmd.id] }) })).status).toBe(400);

    // Removing the profile policy removes the profile from the members.
    expect((await call(`/api/v1/groups/other/policies/${profile.id}`, adminKey, { method: "DELETE" })).status).toBe(404);
    expect((await call(`/api/v1/groups/${g.id}/policies/${profile.id}`, adminKey, { method: "DELETE" })).status).toBe(204);
    expect(await drain(device.id)).toEqual(["RemoveProfile"]);

    expect((await call(`/api/v1/groups/${g.id}`, adminKey, { method: "DELETE" })).status).toBe(204);
    expect((await call(`/api/v1/groups/${g.id}`, adminKey, { method: "DELETE" })).status).toBe(404);
    expect((await api.db.client.device.findUniqueOrThrow({ where: { id: device.id } })).groupId).toBeNull();
  });
});
