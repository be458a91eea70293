// The APNs client against a local HTTP/2 server that checks each request the way APNs
// does: TLS client certificate (topic = the certificate's UID) or ES256 provider token,
// POST /3/device/<hex token>, apns-push-type mdm, priority 10, body {"mdm": PushMagic}.
import crypto from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApnsClient } from "@/lib/mdm/apns";
import { pushDevice, pushesSettled, saveApnsCredentials, setPushSender } from "@/lib/mdm/push";
import { loadApnsCredentials } from "@/lib/settings/apnsCredentials";
import { enqueueCommand } from "@/lib/mdm/commands";
import { createApnsPki, startApnsStandIn, type ApnsPki, type StandInOptions } from "@/test/helpers/apnsStandIn";
import { createTestDb, type TestDb } from "@/test/helpers/db";

const TOPIC = "com.apple.mgmt.External.6c1e8f0a-5b7e-4d4b-9a3e-0d3c2f1b9e77";

let t: TestDb;
let pki: ApnsPki;
let pem: Record<string, string>;

beforeAll(async () => {
  t = await createTestDb();
  pki = createApnsPki(TOPIC);
  pem = pki.pem;
});
afterAll(async () => {
  setPushSender(null);
  await t.close();
  pki.cleanup();
});

const fakeApns = (opts: Omit<StandInOptions, "pki">) => startApnsStandIn({ pki, ...opts });

const token = crypto.randomBytes(32).toString("hex");
const magic = crypto.randomUUID().toUpperCase();

describe("ApnsClient", () => {
  it("sends an MDM push with certificate auth exactly as APNs expects", async () => {
    const apns = await fakeApns({ requireClientCert: true });
    const client = new ApnsClient({ baseUrl: apns.url, auth: { kind: "certificate", certPem: pem["client.pem"], keyPem: pem["client.key"] }, ca: pem["ca.pem"] });
    const r = await client.send({ deviceToken: token, pushMagic: magic, topic: TOPIC });
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(r.apnsId).toMatch(/^[0-9A-F-]{36}$/);
    expect(apns.seen).toHaveLength(1);
    const s = apns.seen[0];
    expect(s.clientUid).toBe(TOPIC);
    expect(s.headers[":path"]).toBe(`/3/device/${token}`);
    expect(s.headers["apns-topic"]).toBe(TOPIC);
    expect(s.headers["apns-push-type"]).toBe("mdm");
    expect(s.headers["apns-priority"]).toBe("10");
    expect(s.body).toBe(JSON.stringify({ mdm: magic }));
    // The connection is reused.
    await client.send({ deviceToken: token, pushMagic: magic, topic: TOPIC });
    expect(apns.seen).toHaveLength(2);
    // A wrong topic is what APNs refuses.
    const bad = await client.send({ deviceToken: token, pushMagic: magic, topic: "com.apple.mgmt.External.other" });
    expect(bad).toMatchObject({ ok: false, status: 400, reason: "TopicDisallowed", retryable: false });
    await client.close();
    await apns.close();
  });

  it("signs an ES256 provider token for token auth", async () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const apns = await fakeApns({ requireClientCert: false, tokenKey: publicKey, teamId: "TEAM123456" });
    const client = new ApnsClient({
      baseUrl: apns.url,
      auth: { kind: "token", teamId: "TEAM123456", keyId: "KEY1234567", keyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string },
      ca: pem["ca.pem"],
    });
    expect(await client.send({ deviceToken: token, pushMagic: magic, topic: TOPIC })).toMatchObject({ ok: true, status: 200 });
    await client.close();
    const other = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const wrong = new ApnsClient({
      baseUrl: apns.url,
      auth: { kind: "token", teamId: "TEAM123456", keyId: "KEY1234567", keyPem: other.export({ type: "pkcs8", format: "pem" }) as string },
      ca: pem["ca.pem"],
    });
    expect(await wrong.send({ deviceToken: token, pushMagic: magic, topic: TOPIC })).toMatchObject({ ok: false, status: 403, reason: "InvalidProviderToken" });
    await wrong.close();
    await apns.close();
  });

  it("reports an unreachable server as retryable", async () => {
    const client = new ApnsClient({ baseUrl: "https://127.0.0.1:1", auth: { kind: "certificate", certPem: pem["client.pem"], keyPem: pem["client.key"] }, ca: pem["ca.pem"], timeoutMs: 2000 });
    expect(await client.send({ deviceToken: token, pushMagic: magic, topic: TOPIC })).toMatchObject({ ok: false, retryable: true });
    await client.close();
  });
});

describe("push service", () => {
  beforeEach(async () => {
    await t.client.device.deleteMany();
    await t.client.enrollmentLog.deleteMany();
  });

  let client: ApnsClient | null = null;
  function use(url: string) {
    client = new ApnsClient({ baseUrl: url, auth: { kind: "certificate", certPem: pem["client.pem"], keyPem: pem["client.key"] }, ca: pem["ca.pem"] });
    setPushSender(client);
  }
  async function release() {
    setPushSender(null);
    await client?.close();
    client = null;
  }

  async function enrolledDevice(id: string) {
    return t.client.device.create({ data: { identifier: id, udid: id, status: "ENROLLED", pushToken: token, pushMagic: magic, topic: TOPIC } });
  }

  it("pushes after a command is queued", async () => {
    const apns = await fakeApns({ requireClientCert: true });
    use(apns.url);
    const d = await enrolledDevice("PUSH-1");
    await enqueueCommand(d.id, "ProfileList");
    await pushesSettled();
    expect(apns.seen.map((s) => s.body)).toEqual([JSON.stringify({ mdm: magic })]);
    await release();
    await apns.close();
  });

  it("retries transient failures with backoff, gives up on permanent ones, and logs push_failed", async () => {
    const flaky = await fakeApns({ requireClientCert: true, script: (n) => (n <= 2 ? { status: 503, reason: "ServiceUnavailable" } : (undefined as unknown as { status: number })) });
    use(flaky.url);
    const d = await enrolledDevice("PUSH-2");
    const ok = await pushDevice(d.id, { attempts: 4, baseDelayMs: 5 });
    expect(ok).toMatchObject({ sent: true, attempts: 3 });
    expect(await t.client.enrollmentLog.count({ where: { reason: "push_failed" } })).toBe(0);
    await release();
    await flaky.close();

    const gone = await fakeApns({ requireClientCert: true, script: () => ({ status: 410, reason: "Unregistered" }) });
    use(gone.url);
    const failed = await pushDevice(d.id, { attempts: 4, baseDelayMs: 5 });
    expect(failed).toMatchObject({ sent: false, attempts: 1 });
    expect(gone.seen).toHaveLength(1);
    // Unregistered: the token is dead; the device is marked unreachable and not pushed again.
    const line = await t.client.enrollmentLog.findFirstOrThrow({ where: { reason: "push_unreachable" } });
    expect(line).toMatchObject({ step: "push", outcome: "ERROR", deviceIdentifier: "PUSH-2" });
    expect(line.message).toMatch(/410 Unregistered/);
    expect(await t.client.device.findUniqueOrThrow({ where: { id: d.id } })).toMatchObject({ lastPushResult: "410 Unregistered", pushUnreachableAt: expect.any(Date) });
    expect(await pushDevice(d.id)).toMatchObject({ sent: false, skipped: "unreachable" });
    expect(gone.seen).toHaveLength(1);
    await t.client.device.update({ where: { id: d.id }, data: { pushUnreachableAt: null } });
    await release();
    await gone.close();

    const down = await fakeApns({ requireClientCert: true, script: () => ({ status: 500, reason: "InternalServerError" }) });
    use(down.url);
    expect(await pushDevice(d.id, { attempts: 3, baseDelayMs: 5 })).toMatchObject({ sent: false, attempts: 3 });
    expect(down.seen).toHaveLength(3);
    expect(await t.client.enrollmentLog.count({ where: { reason: "push_failed" } })).toBe(1);
    await release();
    await down.close();
  });

  it("skips devices without push credentials, and stores APNs credentials with the key sealed", async () => {
    const d = await t.client.device.create({ data: { identifier: "PUSH-3", status: "PENDING" } });
    expect(await pushDevice(d.id)).toMatchObject({ sent: false, skipped: "no_push_token" });
    const d2 = await enrolledDevice("PUSH-4");
    expect(await pushDevice(d2.id)).toMatchObject({ sent: false, skipped: "no_credentials" });
    await saveApnsCredentials({ kind: "certificate", certPem: pem["client.pem"], keyPem: pem["client.key"] });
    const row = await t.client.setting.findUniqueOrThrow({ where: { key: "apns.credentials" } });
    expect(row.value).not.toContain("PRIVATE KEY");
    expect(await loadApnsCredentials()).toEqual({ kind: "certificate", certPem: pem["client.pem"], keyPem: pem["client.key"] });
  });
});
