// Pushing again, against the local APNs stand-in: a queued command pushes once; a device
// that does not answer is pushed again on the backoff schedule (the clock is a parameter,
// never waited on); one that answers is left alone; keep-alive pushes go to silent devices,
// many over one HTTP/2 connection; 410 Unregistered marks the device unreachable in what
// the portal shows, and its next TokenUpdate (a real check-in) makes it reachable again.
import crypto from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@/lib/config";
import { ApnsClient } from "@/lib/mdm/apns";
import { enqueueCommand } from "@/lib/mdm/commands";
import { pushesSettled, setPushSender } from "@/lib/mdm/push";
import { runPushJobs, type PushSchedule } from "@/lib/mdm/rePush";
import { deviceDetailJson, getDeviceDetail } from "@/lib/inventory/deviceDetail";
import { createApnsPki, startApnsStandIn, type ApnsPki, type StandIn } from "@/test/helpers/apnsStandIn";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { issueIdentity, randomUdid, serveMdm, simDevice } from "./helpers";

const TOPIC = "com.apple.mgmt.External.0b5f7c2e-8d1a-4c3b-9e6f-1a2b3c4d5e6f";
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const SCHEDULE: PushSchedule = { retryScheduleMs: [5 * MIN, HOUR, DAY], keepAliveMs: null };

let t: TestDb;
let pki: ApnsPki;
let apns: StandIn;
let client: ApnsClient;
let server: RouteServer;
let dead = new Set<string>();

beforeAll(async () => {
  t = await createTestDb();
  pki = createApnsPki(TOPIC);
  server = await serveMdm();
});
afterAll(async () => {
  setPushSender(null);
  await server.close();
  await t.close();
  pki.cleanup();
});
beforeEach(async () => {
  await t.client.device.deleteMany();
  dead = new Set();
  apns = await startApnsStandIn({ pki, requireClientCert: true, script: (_n, token) => (dead.has(token) ? { status: 410, reason: "Unregistered" } : undefined) });
  client = new ApnsClient({ baseUrl: apns.url, auth: { kind: "certificate", certPem: pki.pem["client.pem"], keyPem: pki.pem["client.key"] }, ca: pki.pem["ca.pem"] });
  setPushSender(client);
});
afterEach(async () => {
  setPushSender(null);
  await client.close();
  await apns.close();
});

async function enrolled(lastSeenAt: Date) {
  const token = crypto.randomBytes(32).toString("hex");
  const udid = randomUdid();
  const d = await t.client.device.create({ data: { identifier: udid, udid, status: "ENROLLED", pushToken: token, pushMagic: crypto.randomUUID().toUpperCase(), topic: TOPIC, lastSeenAt } });
  return { ...d, token };
}

const pushedTokens = () => apns.seen.map((s) => String(s.headers[":path"]).replace("/3/device/", ""));

describe("re-push with backoff", () => {
  it("pushes once on enqueue, then again after 5 min, 1 h and daily while the device stays silent", async () => {
    const d = await enrolled(new Date(Date.now() - HOUR));
    await enqueueCommand(d.id, "DeviceInformation", { Queries: ["DeviceName"] });
    await pushesSettled();
    expect(pushedTokens()).toEqual([d.token]);
    expect(JSON.parse(apns.seen[0].body)).toEqual({ mdm: d.pushMagic });
    const first = (await t.client.device.findUniqueOrThrow({ where: { id: d.id } })).lastPushedAt as Date;
    expect(first).toBeInstanceOf(Date);

    const at = (ms: number) => new Date(first.getTime() + ms);
    // Nothing is due before each step of the schedule; exactly one push when it is.
    const steps: [number, number][] = [
      [4 * MIN, 1],
      [5 * MIN, 2],
      [5 * MIN + 59 * MIN, 2],
      [5 * MIN + HOUR, 3],
      [5 * MIN + HOUR + 23 * HOUR, 3],
      [5 * MIN + HOUR + DAY, 4],
      [5 * MIN + HOUR + DAY + DAY, 5], // the last step repeats
    ];
    for (const [offset, total] of steps) {
      await runPushJobs(at(offset), SCHEDULE);
      expect(apns.seen.length, `after ${offset / MIN} min`).toBe(total);
    }
    const row = await t.client.device.findUniqueOrThrow({ where: { id: d.id } });
    expect(row).toMatchObject({ pushesUnanswered: 5, lastPushResult: "200 OK", pushUnreachableAt: null });
    expect(row.lastPushedAt?.getTime()).toBe(at(5 * MIN + HOUR + DAY + DAY).getTime());
  });

  it("stops once the device polls after the push, also when it answers NotNow", async () => {
    const udid = randomUdid();
    const sim = await simDevice(server, TOPIC, await issueIdentity(`CN=${udid}`), { udid, notNowOnce: ["DeviceInformation"] });
    expect((await sim.authenticate()).status).toBe(200);
    expect((await sim.tokenUpdate()).status).toBe(200);
    const row = await t.client.device.findUniqueOrThrow({ where: { identifier: udid } });
    await enqueueCommand(row.id, "DeviceInformation", { Queries: ["DeviceName"] });
    await pushesSettled();
    expect(apns.seen).toHaveLength(1);
    // The device is busy: NotNow. It comes back by itself; pushing it meanwhile is useless.
    expect((await sim.pollCommands()).map((c) => c.status)).toEqual(["NotNow"]);
    expect(await t.client.device.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ pushesUnanswered: 0 });
    await runPushJobs(new Date(Date.now() + 3 * DAY), SCHEDULE);
    expect(apns.seen).toHaveLength(1);
    // A command left SENT but never answered is pushed again once the device has been silent.
    await t.client.command.updateMany({ where: { deviceId: row.id }, data: { status: "SENT" } });
    await runPushJobs(new Date(Date.now() + 4 * MIN), SCHEDULE);
    expect(apns.seen).toHaveLength(1);
    await runPushJobs(new Date(Date.now() + 6 * MIN), SCHEDULE);
    expect(apns.seen).toHaveLength(2);
  });

  it("pushes work queued before a push certificate existed once there is one", async () => {
    setPushSender(null); // no certificate in this database
    const d = await enrolled(new Date(Date.now() - HOUR));
    await enqueueCommand(d.id, "DeviceInformation", { Queries: ["DeviceName"] });
    await pushesSettled();
    expect(await runPushJobs(new Date(), SCHEDULE)).toEqual({ rePushed: [], keptAlive: [] });
    setPushSender(client);
    await runPushJobs(new Date(), SCHEDULE);
    expect(pushedTokens()).toEqual([d.token]);
  });

  it("can be switched off", async () => {
    const d = await enrolled(new Date(Date.now() - HOUR));
    await enqueueCommand(d.id, "DeviceInformation", { Queries: ["DeviceName"] });
    await pushesSettled();
    await runPushJobs(new Date(Date.now() + 3 * DAY), { retryScheduleMs: [], keepAliveMs: null });
    expect(apns.seen).toHaveLength(1);
  });
});

describe("keep-alive push", () => {
  it("pushes every enrolled device not heard from for a day, all over one HTTP/2 connection", async () => {
    const now = new Date();
    const silent = await Promise.all([1, 2, 3, 4, 5].map(() => enrolled(new Date(now.getTime() - 2 * DAY))));
    // Managed (policies done) counts as enrolled too.
    await t.client.device.update({ where: { id: silent[0].id }, data: { status: "MANAGED" } });
    const fresh = await enrolled(new Date(now.getTime() - HOUR));
    await t.client.device.create({ data: { identifier: "PENDING-1", status: "PENDING", pushToken: "ab".repeat(32), pushMagic: "M", topic: TOPIC } });
    await t.client.device.create({ data: { identifier: "GONE-1", status: "UNENROLLED", pushToken: "cd".repeat(32), pushMagic: "M", topic: TOPIC, lastSeenAt: new Date(now.getTime() - 9 * DAY) } });
    const r = await runPushJobs(now, { retryScheduleMs: [], keepAliveMs: DAY });
    expect(r.keptAlive.every((o) => o.sent)).toBe(true);
    expect(pushedTokens().sort()).toEqual(silent.map((d) => d.token).sort());
    expect(pushedTokens()).not.toContain(fresh.token);
    expect(new Set(apns.seen.map((s) => s.session)).size).toBe(1);
    // Pushed a moment ago: not again on the next tick.
    await runPushJobs(new Date(now.getTime() + MIN), { retryScheduleMs: [], keepAliveMs: DAY });
    expect(apns.seen).toHaveLength(5);
  });
});

describe("410 Unregistered", () => {
  it("marks the device unreachable in the portal, stops pushing it, and a new TokenUpdate clears it", async () => {
    const udid = randomUdid();
    const identity = await issueIdentity(`CN=${udid}`);
    const sim = await simDevice(server, TOPIC, identity, { udid });
    expect((await sim.authenticate()).status).toBe(200);
    expect((await sim.tokenUpdate()).status).toBe(200);
    const row = await t.client.device.findUniqueOrThrow({ where: { identifier: udid } });
    const token = row.pushToken as string;
    dead.add(token);

    await enqueueCommand(row.id, "DeviceInformation", { Queries: ["DeviceName"] });
    await pushesSettled();
    expect(apns.seen).toHaveLength(1);
    const detail = deviceDetailJson(await getDeviceDetail(udid));
    expect(detail.push).toMatchObject({ hasToken: true, lastAnswer: "410 Unregistered", reachable: false, unreachableSince: expect.any(String) });
    expect(await t.client.enrollmentLog.findFirst({ where: { deviceIdentifier: udid, reason: "push_unreachable" } })).not.toBeNull();

    // Not pushed again, however long it stays silent.
    await runPushJobs(new Date(Date.now() + 10 * DAY), { ...SCHEDULE, keepAliveMs: DAY });
    expect(apns.seen).toHaveLength(1);

    // The device comes back with a new push token: reachable, and the backlog is pushed.
    dead.clear();
    expect((await sim.tokenUpdate()).status).toBe(200);
    expect(deviceDetailJson(await getDeviceDetail(udid)).push).toMatchObject({ reachable: true, unreachableSince: null });
    await runPushJobs(new Date(Date.now() + 10 * DAY), SCHEDULE);
    expect(apns.seen).toHaveLength(2);
  });
});

describe("configuration", () => {
  it("defaults to 5 min, 1 h, daily and a daily keep-alive; both can be changed or switched off", () => {
    const env = { PUBLIC_URL: "https://mdm.example.test" };
    expect(loadConfig(env)).toMatchObject({ pushRetryScheduleMs: [5 * MIN, HOUR, DAY], pushKeepAliveMs: DAY });
    expect(loadConfig({ ...env, PUSH_RETRY_SCHEDULE: "10m, 2h", PUSH_KEEPALIVE_INTERVAL: "12h" })).toMatchObject({ pushRetryScheduleMs: [10 * MIN, 2 * HOUR], pushKeepAliveMs: 12 * HOUR });
    expect(loadConfig({ ...env, PUSH_RETRY_SCHEDULE: "off", PUSH_KEEPALIVE_INTERVAL: "off" })).toMatchObject({ pushRetryScheduleMs: [], pushKeepAliveMs: null });
    for (const bad of ["5", "30s", "1w", "5m,,1h", "-1h"]) expect(() => loadConfig({ ...env, PUSH_RETRY_SCHEDULE: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, PUSH_KEEPALIVE_INTERVAL: "daily" })).toThrow(/PUSH_KEEPALIVE_INTERVAL/);
  });
});
