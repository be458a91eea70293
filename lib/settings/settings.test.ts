import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { apnsStatus, checkApnsCertificate, uploadApnsCertificate } from "../mdm/apnsCertificate";
import { getBranding, updateBranding } from "./branding";
import { getReEnrollmentSettings, updateReEnrollmentSettings } from "./reenrollment";
import { caInfo, importCaFromPem } from "../inventory/overview";

let t: TestDb;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "settings-test-"));

/** A self-signed certificate and key made by OpenSSL with the given subject. */
function certificate(name: string, subject: string): { cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", subject], { stdio: "ignore" });
  return { cert: fs.readFileSync(cert, "utf8"), key: fs.readFileSync(key, "utf8") };
}

const TOPIC = "com.apple.mgmt.External.7d7b9c0e-1111-4222-8333-944455556666";
let push: { cert: string; key: string };
let other: { cert: string; key: string };

beforeAll(async () => {
  t = await createTestDb();
  push = certificate("push", `/UID=${TOPIC}/CN=APSP:7d7b9c0e-1111-4222-8333-944455556666/C=US`);
  other = certificate("other", "/CN=not a push certificate");
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return "accepted";
};

describe("APNs certificate upload", () => {
  it("stores a matching MDM push certificate and makes its UID the topic", async () => {
    expect((await apnsStatus()).certificate).toBeNull();
    const info = await uploadApnsCertificate({ cert: push.cert, keyPem: push.key });
    expect(info.topic).toBe(TOPIC);
    expect(await currentMdmTopic()).toBe(TOPIC);
    const status = await apnsStatus();
    expect(status.certificate).toMatchObject({ topic: TOPIC });
    expect(status.topic).toBe(TOPIC);
    // The key is sealed at rest, never stored as PEM.
    const stored = await t.client.setting.findUniqueOrThrow({ where: { key: "apns.credentials" } });
    expect(stored.value).not.toContain("PRIVATE KEY");
  });

  it("refuses a key of another certificate, a certificate without an MDM UID, an expired one and garbage", () => {
    expect(refusal(() => checkApnsCertificate(push.cert, other.key))).toBe("apns_key_mismatch");
    expect(refusal(() => checkApnsCertificate(other.cert, other.key))).toBe("not_mdm_push_certificate");
    expect(refusal(() => checkApnsCertificate(push.cert, push.key, new Date(Date.now() + 400 * 86400_000)))).toBe("apns_certificate_expired");
    expect(refusal(() => checkApnsCertificate("not a pem", push.key))).toBe("invalid_apns_certificate");
    expect(refusal(() => checkApnsCertificate(push.cert, "not a key"))).toBe("invalid_apns_key");
  });
});

describe("CA import", () => {
  it("refuses a certificate that is not a CA with a 400 naming the problem, keeping the current CA", async () => {
    const before = await caInfo();
    await expect(importCaFromPem(other.cert, push.key)).rejects.toMatchObject({ status: 400, code: "invalid_ca", message: expect.stringMatching(/does not belong|not a CA/) });
    expect((await caInfo()).fingerprint).toBe(before.fingerprint);
  });

  it("imports an RSA CA certificate with its key", async () => {
    const key = path.join(dir, "ca.key");
    const cert = path.join(dir, "ca.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "365",
        "-subj",
        "/CN=Imported Root/O=Example",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ],
      { stdio: "ignore" },
    );
    const info = await importCaFromPem(fs.readFileSync(cert, "utf8"), fs.readFileSync(key, "utf8"));
    expect(info.subject).toContain("CN=Imported Root");
    expect(info.keyBits).toBe(2048);
  });
});

describe("branding", () => {
  it("saves and reads the organisation name and support contact, refusing overlong values", async () => {
    expect(await getBranding()).toEqual({ organizationName: "", supportContact: "" });
    await updateBranding({ organizationName: " Example Corp ", supportContact: "it@example.com" });
    expect(await getBranding()).toEqual({ organizationName: "Example Corp", supportContact: "it@example.com" });
    await expect(updateBranding({ organizationName: "x".repeat(101), supportContact: "" })).rejects.toMatchObject({ status: 400 });
  });
});

describe("re-enrollment rule", () => {
  it("defaults to same enrollment link or user, saves a known rule and refuses others", async () => {
    expect(await getReEnrollmentSettings()).toEqual({ policy: "same-enrollment" });
    await updateReEnrollmentSettings({ policy: "approval" });
    expect(await getReEnrollmentSettings()).toEqual({ policy: "approval" });
    await expect(updateReEnrollmentSettings({ policy: "everyone" })).rejects.toMatchObject({ status: 400, code: "invalid_reenrollment_policy" });
    await expect(updateReEnrollmentSettings({ policy: "anyone", extra: 1 })).rejects.toMatchObject({ status: 400 });
    expect(await getReEnrollmentSettings()).toEqual({ policy: "approval" });
  });
});
