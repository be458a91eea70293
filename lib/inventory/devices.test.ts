import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { listDevices, parseDeviceQuery, type DeviceQuery } from "./devices";
import { deviceDetailJson, getDeviceDetail, parseInstalledProfiles } from "./deviceDetail";
import { dashboardStats } from "./stats";

let t: TestDb;
let groupA: string;
const NOW = new Date("2026-03-10T12:00:00Z");

beforeAll(async () => {
  t = await createTestDb();
  groupA = (await t.client.deviceGroup.create({ data: { name: "Engineering" } })).id;
  const groupB = (await t.client.deviceGroup.create({ data: { name: "Design" } })).id;
  const statuses = ["MANAGED", "ENROLLED", "PENDING", "UNENROLLED"] as const;
  for (let i = 0; i < 23; i++) {
    await t.client.device.create({
      data: {
        id: `dev${String(i).padStart(2, "0")}`,
        identifier: `UDID-${String(i).padStart(4, "0")}`,
        udid: `UDID-${String(i).padStart(4, "0")}`,
        serialNumber: i % 5 === 0 ? null : `SER${i}`,
        deviceName: `Phone ${i}`,
        platform: i % 2 ? "iOS" : "macOS",
        status: statuses[i % 4],
        groupId: i % 3 === 0 ? groupA : i % 3 === 1 ? groupB : null,
        // Some devices have never been seen: nulls must page correctly too. Ties on purpose.
        lastSeenAt: i % 4 === 2 ? null : new Date(NOW.getTime() - Math.floor(i / 2) * 3600_000),
        enrolledAt: i % 4 === 2 ? null : new Date(NOW.getTime() - (i % 3) * 86400_000),
        enrollmentType: i === 7 ? "USER_ENROLLMENT" : "OTA",
      },
    });
  }
});
afterAll(async () => t?.close());

async function allPages(q: DeviceQuery): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 50; guard++) {
    const page: Awaited<ReturnType<typeof listDevices>> = await listDevices({ ...q, limit: 4, cursor });
    ids.push(...page.rows.map((r) => r.id));
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return ids;
}

describe("devices table", () => {
  it.each([
    ["lastSeen", "desc"],
    ["lastSeen", "asc"],
    ["serial", "asc"],
    ["serial", "desc"],
    ["status", "asc"],
    ["name", "desc"],
    ["type", "desc"],
    ["group", "asc"],
    ["group", "desc"],
  ] as const)("pages through every device exactly once sorted by %s %s", async (sort, dir) => {
    const paged = await allPages({ sort, dir });
    const oneShot = (await listDevices({ sort, dir, limit: 200 })).rows.map((r) => r.id);
    expect(oneShot).toHaveLength(23);
    expect(paged).toEqual(oneShot);
  });

  it("sorts by group name, devices without a group last", async () => {
    const rows = (await listDevices({ sort: "group", dir: "asc", limit: 200 })).rows.map((r) => r.group?.name ?? null);
    expect(rows).toEqual([...Array(8).fill("Design"), ...Array(8).fill("Engineering"), ...Array(7).fill(null)]);
  });

  it("puts never-seen devices last", async () => {
    const rows = (await listDevices({ sort: "lastSeen", dir: "desc", limit: 200 })).rows;
    const firstNull = rows.findIndex((r) => r.lastSeenAt === null);
    expect(rows.slice(firstNull).every((r) => r.lastSeenAt === null)).toBe(true);
    expect(rows[0].lastSeenAt?.getTime()).toBe(NOW.getTime());
  });

  it("filters by status, group, platform, type and search, with a total", async () => {
    const managed = await listDevices({ status: "MANAGED" });
    expect(managed.total).toBe(6);
    expect(managed.rows.every((r) => r.status === "MANAGED")).toBe(true);
    const grouped = await listDevices({ groupId: groupA });
    expect(grouped.total).toBe(8);
    expect(grouped.rows.every((r) => r.group?.name === "Engineering")).toBe(true);
    expect((await listDevices({ groupId: "none" })).total).toBe(7);
    expect((await listDevices({ platform: "iOS", status: "ENROLLED" })).total).toBe(6);
    expect((await listDevices({ enrollmentType: "USER_ENROLLMENT" })).rows.map((r) => r.id)).toEqual(["dev07"]);
    expect((await listDevices({ q: "udid-0012" })).rows.map((r) => r.id)).toEqual(["dev12"]);
    expect((await listDevices({ q: "SER21" })).rows.map((r) => r.id)).toEqual(["dev21"]);
    expect((await listDevices({ q: "phone 2" })).total).toBe(4); // 2, 20, 21, 22
  });

  it("rejects bad parameters", () => {
    expect(() => parseDeviceQuery(new URLSearchParams("status=LOST"))).toThrow(/status must be one of/);
    expect(() => parseDeviceQuery(new URLSearchParams("sort=owner"))).toThrow(/sort must be one of/);
    expect(() => parseDeviceQuery(new URLSearchParams("limit=1000"))).toThrow(/limit/);
    expect(parseDeviceQuery(new URLSearchParams("status=managed&group=g1&type=ota"))).toMatchObject({ status: "MANAGED", groupId: "g1", enrollmentType: "OTA" });
  });
});

describe("device detail and dashboard", () => {
  it("finds a device by UDID with its commands and log lines", async () => {
    await t.client.command.create({ data: { uuid: "cmd-1", deviceId: "dev01", requestType: "DeviceInformation", payload: "<plist/>", status: "ACKNOWLEDGED" } });
    await t.client.enrollmentLog.create({ data: { step: "checkin", outcome: "OK", message: "Authenticate", deviceIdentifier: "UDID-0001" } });
    await t.client.enrollmentLog.create({ data: { step: "checkin", outcome: "OK", message: "other device", deviceIdentifier: "UDID-0002" } });
    const d = await getDeviceDetail("UDID-0001");
    expect(d.id).toBe("dev01");
    expect(d.commands.map((c) => [c.requestType, c.status])).toEqual([["DeviceInformation", "ACKNOWLEDGED"]]);
    expect(d.log.map((l) => l.message)).toEqual(["Authenticate"]);
    // Device secrets never reach the detail, the page or the API.
    await t.client.device.update({ where: { id: "dev01" }, data: { pushToken: "secret-push-token", pushMagic: "secret-magic" } });
    const withPush = await getDeviceDetail("dev01");
    expect(withPush.hasPushToken).toBe(true);
    expect(Object.keys(withPush)).not.toEqual(expect.arrayContaining(["pushToken"]));
    const json = deviceDetailJson(withPush);
    expect(JSON.stringify([withPush, json])).not.toMatch(/secret-push-token|secret-magic/);
    expect(json).toMatchObject({ id: "dev01", udid: "UDID-0001", name: withPush.deviceName, status: withPush.status, enrollmentId: null });
    await expect(getDeviceDetail("nope")).rejects.toMatchObject({ status: 404 });
  });

  it("reads installed profiles from a ProfileList result", () => {
    expect(parseInstalledProfiles(JSON.stringify([{ PayloadIdentifier: "com.example.wifi", PayloadDisplayName: "Wi-Fi", IsManaged: true }]))).toEqual([
      { identifier: "com.example.wifi", name: "Wi-Fi", organization: null, managed: true },
    ]);
    expect(parseInstalledProfiles("not json")).toEqual([]);
  });

  it("counts devices by status and enrollments per day", async () => {
    const s = await dashboardStats(NOW);
    expect(s.total).toBe(23);
    expect(s.byStatus).toEqual({ MANAGED: 6, ENROLLED: 6, PENDING: 6, UNENROLLED: 5 });
    expect(s.enrollmentsPerDay).toHaveLength(14);
    expect(s.enrollmentsPerDay.at(-1)).toEqual({ day: "2026-03-10", count: 6 });
    expect(s.enrollmentsPerDay.reduce((a, d) => a + d.count, 0)).toBe(17);
  });
});
