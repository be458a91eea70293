// The portal's read API over real HTTP (the shipped route handlers), with API keys.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { serveRoutes, type RouteModule, type RouteServer } from "@/test/helpers/routeServer";
import { createApiKey } from "@/lib/auth/apiKeys";

let t: TestDb;
let server: RouteServer;
let reader: string;

beforeAll(async () => {
  t = await createTestDb();
  reader = (await createApiKey("reader", "READ_ONLY")).key;
  const group = await t.client.deviceGroup.create({ data: { name: "Sales" } });
  await t.client.device.create({ data: { identifier: "UDID-A", udid: "UDID-A", serialNumber: "SERA", status: "MANAGED", groupId: group.id, lastSeenAt: new Date("2026-03-01T10:00:00Z") } });
  await t.client.device.create({ data: { identifier: "UDID-B", udid: "UDID-B", status: "PENDING" } });
  const dev = await t.client.device.findUniqueOrThrow({ where: { identifier: "UDID-A" } });
  await t.client.command.create({
    data: { uuid: "c1", deviceId: dev.id, requestType: "ProfileList", payload: "<plist/>", status: "ERROR", result: "<plist>r</plist>", errorChain: '[{"ErrorCode":12021}]' },
  });
  await t.client.enrollmentLog.create({
    data: { step: "scep", outcome: "ERROR", reason: "scep_bad_challenge", message: "bad challenge", deviceIdentifier: "UDID-A", time: new Date("2026-03-01T09:00:00Z") },
  });
  await t.client.enrollmentLog.create({ data: { step: "checkin", outcome: "OK", message: "Authenticate", deviceIdentifier: "UDID-A", time: new Date("2026-03-01T09:01:00Z") } });
  server = await serveRoutes([
    { pattern: "/api/v1/log", module: (await import("@/app/api/v1/log/route")) as unknown as RouteModule },
    { pattern: "/api/v1/devices", module: (await import("@/app/api/v1/devices/route")) as unknown as RouteModule },
    { pattern: "/api/v1/devices/[udid]", module: (await import("@/app/api/v1/devices/[udid]/route")) as unknown as RouteModule },
    { pattern: "/api/v1/devices/[udid]/commands/[uuid]", module: (await import("@/app/api/v1/devices/[udid]/commands/[uuid]/route")) as unknown as RouteModule },
  ]);
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(server.url + path, { headers: { authorization: `Bearer ${reader}`, ...headers } });

describe("GET /api/v1/log", () => {
  it("answers JSON pages with the page's filters, reason title and fix", async () => {
    const r = await get("/api/v1/log?outcome=ERROR&device=UDID-A");
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.nextCursor).toBeNull();
    expect(body.lines).toEqual([
      expect.objectContaining({ step: "scep", outcome: "ERROR", reason: "scep_bad_challenge", reasonTitle: "Wrong SCEP challenge", device: "UDID-A", time: "2026-03-01T09:00:00.000Z" }),
    ]);
    expect(body.lines[0].fix).toMatch(/static password/);
  });

  it("answers CSV for Accept: text/csv", async () => {
    const r = await get("/api/v1/log?q=authenticate", { accept: "text/csv" });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="enrollment-log-\d{8}-\d{6}\.csv"$/);
    expect((await r.text()).split("\r\n")).toEqual([
      "time,step,outcome,reason,reason_title,fix,message,device,user,token,remote_addr,count,last_seen",
      "2026-03-01T09:01:00.000Z,checkin,OK,,,,Authenticate,UDID-A,,,,1,2026-03-01T09:01:00.000Z",
      "",
    ]);
  });

  it("refuses bad filters with 400 and callers without a key with 401", async () => {
    const bad = await get("/api/v1/log?outcome=MAYBE");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_filter" });
    expect((await get("/api/v1/log?limit=5000")).status).toBe(400);
    expect((await fetch(`${server.url}/api/v1/log`, { headers: { authorization: "Bearer oek_000000000000_nope-nope-nope-nope-nope" } })).status).toBe(401);
  });
});

describe("GET /api/v1/devices", () => {
  it("filters by status and group and paginates", async () => {
    const all = await (await get("/api/v1/devices?limit=1")).json();
    expect(all.total).toBe(2);
    expect(all.devices).toHaveLength(1);
    expect(all.devices[0]).toMatchObject({ udid: "UDID-A", status: "MANAGED", group: { name: "Sales" } });
    const next = await (await get(`/api/v1/devices?limit=1&cursor=${all.nextCursor}`)).json();
    expect(next.devices.map((d: { udid: string }) => d.udid)).toEqual(["UDID-B"]);
    expect(next.nextCursor).toBeNull();
    const pending = await (await get("/api/v1/devices?status=pending")).json();
    expect(pending.devices.map((d: { udid: string }) => d.udid)).toEqual(["UDID-B"]);
    const group = all.devices[0].group.id;
    expect((await (await get(`/api/v1/devices?group=${group}`)).json()).total).toBe(1);
    expect((await get("/api/v1/devices?status=LOST")).status).toBe(400);
  });

  it("returns one device with its commands (results only on request), or 404", async () => {
    const r = await get("/api/v1/devices/UDID-A");
    expect(r.status).toBe(200);
    const d = await r.json();
    expect(d).toMatchObject({ udid: "UDID-A", serialNumber: "SERA", status: "MANAGED" });
    expect(d.commands).toEqual([expect.objectContaining({ uuid: "c1", requestType: "ProfileList", status: "ERROR", errorChain: '[{"ErrorCode":12021}]' })]);
    expect(d.commands[0]).not.toHaveProperty("result");
    const one = await get("/api/v1/devices/UDID-A/commands/c1");
    expect(one.status).toBe(200);
    expect((await one.json()).command).toMatchObject({ uuid: "c1", result: "<plist>r</plist>" });
    const missing = await get("/api/v1/devices/NOPE");
    expect(missing.status).toBe(404);
  });
});
