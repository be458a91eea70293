// The first-run checklist follows the database and configuration: each step turns done when
// what it asks for exists, the http warning stays until PUBLIC_URL is https.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { recordCaDecision, setupChecklist, type Checklist } from "@/lib/inventory/checklist";
import { uploadApnsCertificate } from "@/lib/mdm/apnsCertificate";
import { importCaFromPem } from "@/lib/inventory/overview";

let t: TestDb;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "checklist-test-"));

function opensslCert(name: string, subject: string, extra: string[] = []): { cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", subject, ...extra], { stdio: "ignore" });
  return { cert: fs.readFileSync(cert, "utf8"), key: fs.readFileSync(key, "utf8") };
}

const state = (c: Checklist) => Object.fromEntries(c.items.map((i) => [i.id, i.done]));

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("first-run checklist", () => {
  it("starts with every step open on a fresh install and warns about an http PUBLIC_URL", async () => {
    const c = await setupChecklist({ publicUrl: "http://localhost:3000", adminIdp: false });
    expect(state(c)).toEqual({ push: false, https: false, ca: false, idp: false, group: false, token: false });
    expect(c.complete).toBe(false);
    const https = c.items.find((i) => i.id === "https")!;
    expect(https.warning).toBe(true);
    expect(https.detail).toContain("http://localhost:3000");
    // Every step says where it is done.
    for (const i of c.items) expect(i.href).toMatch(/^\/admin\//);
  });

  it("turns each step done as the install is configured, and is complete at the end", async () => {
    const cfg = { publicUrl: "https://mdm.example.test", adminIdp: true };
    expect(state(await setupChecklist(cfg))).toMatchObject({ https: true, idp: true, push: false });

    const group = await t.client.deviceGroup.create({ data: { name: "Staff" } });
    expect(state(await setupChecklist(cfg)).group).toBe(false); // a group without a policy is not enough
    await t.client.policy.create({ data: { groupId: group.id, position: 1, kind: "COMMAND", name: "Inventory", requestType: "DeviceInformation", payload: "{}" } });
    expect(state(await setupChecklist(cfg)).group).toBe(true);

    await t.client.enrollmentToken.create({ data: { name: "First link" } });
    expect(state(await setupChecklist(cfg)).token).toBe(true);

    const topic = "com.apple.mgmt.External.7d7b9c0e-1111-4222-8333-944455556666";
    const push = opensslCert("push", `/UID=${topic}/CN=APSP:7d7b9c0e-1111-4222-8333-944455556666/C=US`);
    await uploadApnsCertificate({ cert: push.cert, keyPem: push.key });
    expect(state(await setupChecklist(cfg)).push).toBe(true);

    expect((await setupChecklist(cfg)).complete).toBe(false);
    await recordCaDecision("kept");
    const done = await setupChecklist(cfg);
    expect(state(done).ca).toBe(true);
    expect(done.complete).toBe(true);
  });

  it("counts an imported CA as the CA decision", async () => {
    await t.client.setting.deleteMany({ where: { key: "checklist.ca" } });
    expect(state(await setupChecklist({ publicUrl: "https://mdm.example.test", adminIdp: true })).ca).toBe(false);
    const ca = opensslCert("ca", "/CN=Imported Test CA", ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    await importCaFromPem(ca.cert, ca.key);
    expect(state(await setupChecklist({ publicUrl: "https://mdm.example.test", adminIdp: true })).ca).toBe(true);
  });
});
