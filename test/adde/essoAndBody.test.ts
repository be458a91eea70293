// The enroll request body as devices send it (CMS SignedData by the device identity, made
// here by openssl with a certificate we do not trust), and Enrollment SSO: the header on the
// first 401 and the document at its URL, checked against Apple's other/esso.yaml.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as yaml from "js-yaml";
import { build as buildPlist } from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { issueAccessToken } from "@/lib/enrollment/accessTokens";
import { configureEsso, disableEsso } from "@/lib/enrollment/esso";
import { createRoute } from "@/lib/enrollment/routes";
import { createTestDb, type TestDb } from "../helpers/db";
import type { RouteServer } from "../helpers/routeServer";
import { pythonBinaryPlist } from "./appleClient";
import { ENROLL_BODY, enrollPost, startAddeServer } from "./deviceClient";
import { setupScep } from "./scepSetup";

let t: TestDb;
let server: RouteServer;
let dir: string;
const BASE = "https://mdm.example.test/adde/byod";

function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] });
}

beforeAll(async () => {
  t = await createTestDb();
  server = await startAddeServer();
  await setupScep();
  await createRoute({ domain: "example.com", version: "mdm-byod" });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "adde-cms-"));
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Device Identity Test/O=Not Apple", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")]);
});

afterAll(async () => {
  await server?.close();
  await t?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function signedBody(content = ENROLL_BODY): Buffer {
  return openssl(
    ["cms", "-sign", "-nodetach", "-binary", "-outform", "DER", "-signer", path.join(dir, "cert.pem"), "-inkey", path.join(dir, "key.pem"), "-md", "sha256"],
    Buffer.from(content, "latin1"),
  );
}

describe("CMS-signed enroll bodies", () => {
  it("unwraps a body signed by an untrusted device certificate and records the signer", async () => {
    const first = await enrollPost(server, BASE, { body: signedBody() });
    expect(first.status).toBe(401);
    const line = await db().enrollmentLog.findFirst({ where: { step: "adde.enroll", message: { contains: "Device Identity Test" } } });
    expect(line?.message).toContain("iPhone17,2 19A240 en-US");

    const user = await db().user.create({ data: { identifier: "sam@example.com" } });
    const token = await issueAccessToken(user.id, "mdm-byod");
    const second = await enrollPost(server, BASE, { body: signedBody(), token });
    expect(second.status).toBe(200);
  });

  it("accepts binary plist bodies (plistlib), signed or not, and refuses malformed binary ones with 400", async () => {
    const binary = pythonBinaryPlist({ LANGUAGE: "de-CH", PRODUCT: "iPad16,3", VERSION: "22C152" });
    expect((await enrollPost(server, BASE, { body: binary })).status).toBe(401);
    expect((await enrollPost(server, BASE, { body: signedBody(Buffer.from(binary).toString("latin1")) })).status).toBe(401);
    const line = await db().enrollmentLog.findFirst({ where: { step: "adde.enroll", message: { contains: "iPad16,3 22C152 de-CH" } } });
    expect(line).not.toBeNull();
    const truncated = binary.slice(0, binary.length - 10);
    const cyclic = new Uint8Array(
      Buffer.concat([Buffer.from("bplist00", "latin1"), Buffer.from([0xa1, 0, 8]), Buffer.from([0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10])]),
    );
    for (const body of [truncated, cyclic]) expect((await enrollPost(server, BASE, { body })).status).toBe(400);
    const refusals = await db().enrollmentLog.findMany({ where: { reason: "adde_bad_request", message: { contains: "property list" } } });
    expect(refusals.some((l) => l.message.includes("contains itself"))).toBe(true);
  });

  it("refuses a signed body whose content was altered, and signed non-plists, with 400", async () => {
    const good = signedBody();
    const i = good.indexOf(Buffer.from("iPhone17,2"));
    expect(i).toBeGreaterThan(0);
    const tampered = Buffer.from(good);
    tampered.write("iPhone99", i);
    expect((await enrollPost(server, BASE, { body: tampered })).status).toBe(400);
    expect((await enrollPost(server, BASE, { body: signedBody("hello") })).status).toBe(400);
    const lines = await db().enrollmentLog.findMany({ where: { reason: "adde_bad_request" } });
    expect(lines.some((l) => l.message.includes("CMS signature"))).toBe(true);
  });
});

describe("Enrollment SSO", () => {
  const ssoProfile = buildPlist({
    PayloadType: "Configuration",
    PayloadVersion: 1,
    PayloadIdentifier: "com.example.esso",
    PayloadUUID: "7D7C2A3E-1111-4E4E-9F0B-8A3C0C1F0A01",
    PayloadDisplayName: "Enrollment SSO",
    PayloadContent: [
      {
        PayloadType: "com.apple.extensiblesso",
        PayloadVersion: 1,
        PayloadIdentifier: "com.example.esso.sso",
        PayloadUUID: "7D7C2A3E-2222-4E4E-9F0B-8A3C0C1F0A02",
        ExtensionIdentifier: "com.example.sso.extension",
        TeamIdentifier: "ABCDE12345",
        Type: "Redirect",
        URLs: ["https://login.example.com"],
      },
    ],
  });

  it("adds X-Apple-MDM-ESSO to the first 401 and serves a document that matches Apple's schema", async () => {
    await configureEsso({
      enabled: true,
      iTunesStoreID: 1234567890,
      associatedDomains: ["authsrv:login.example.com"],
      configurationProfile: Buffer.from(ssoProfile).toString("base64"),
    });
    const first = await enrollPost(server, BASE);
    expect(first.status).toBe(401);
    expect(first.headers.get("x-apple-mdm-esso")).toBe("https://mdm.example.test/esso");

    const res = await fetch(`${server.url}/esso`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const doc = (await res.json()) as Record<string, unknown>;
    const schema = yaml.load(fs.readFileSync("vendor/apple-device-management/other/esso.yaml", "utf8")) as { payloadkeys: { key: string; type: string; presence: string }[] };
    const keys = new Map(schema.payloadkeys.map((k) => [k.key, k]));
    for (const k of schema.payloadkeys.filter((k) => k.presence === "required")) expect(doc, k.key).toHaveProperty(k.key);
    for (const [k, v] of Object.entries(doc)) {
      const s = keys.get(k);
      expect(s, `unknown key ${k}`).toBeDefined();
      const ok = { "<integer>": Number.isInteger(v), "<array>": Array.isArray(v), "<boolean>": typeof v === "boolean", "<data>": typeof v === "string", "<string>": typeof v === "string" }[s!.type];
      expect(ok, `${k} is ${s!.type}`).toBe(true);
    }
    // The standard endpoint must not carry the developer-mode AppIDs.
    expect(doc).not.toHaveProperty("AppIDs");
    expect(Buffer.from(doc.ConfigurationProfile as string, "base64").toString()).toBe(ssoProfile);

    // Only the first (unauthenticated) attempt carries the header.
    const user = await db().user.create({ data: { identifier: "essie@example.com" } });
    const second = await enrollPost(server, BASE, { token: await issueAccessToken(user.id, "mdm-byod") });
    expect(second.status).toBe(200);
    expect(second.headers.get("x-apple-mdm-esso")).toBeNull();
  });

  const profileWith = (extra: Record<string, unknown>[]) => ({
    PayloadType: "Configuration",
    PayloadVersion: 1,
    PayloadIdentifier: "com.example.esso",
    PayloadUUID: "7D7C2A3E-1111-4E4E-9F0B-8A3C0C1F0A01",
    PayloadContent: [
      {
        PayloadType: "com.apple.extensiblesso",
        PayloadVersion: 1,
        PayloadIdentifier: "com.example.esso.sso",
        PayloadUUID: "7D7C2A3E-2222-4E4E-9F0B-8A3C0C1F0A02",
        ExtensionIdentifier: "com.example.sso.extension",
        TeamIdentifier: "ABCDE12345",
        Type: "Redirect",
        URLs: ["https://login.example.com"],
      },
      ...extra,
    ],
  });
  const rootCert = {
    PayloadType: "com.apple.security.root",
    PayloadVersion: 1,
    PayloadIdentifier: "com.example.esso.root",
    PayloadUUID: "7D7C2A3E-3333-4E4E-9F0B-8A3C0C1F0A03",
    PayloadContent: { $data: Buffer.from("not checked here").toString("base64") },
  };
  const wifi = {
    PayloadType: "com.apple.wifi.managed",
    PayloadVersion: 1,
    PayloadIdentifier: "com.example.esso.wifi",
    PayloadUUID: "7D7C2A3E-4444-4E4E-9F0B-8A3C0C1F0A04",
    PayloadDisplayName: "Office Wi-Fi",
    SSID_STR: "Office",
  };
  const configure = (profile: Uint8Array | string) => configureEsso({ enabled: true, iTunesStoreID: 1, configurationProfile: Buffer.from(profile).toString("base64") });

  it("accepts only the payload types Apple allows there (SSO extension and certificates), XML, binary or signed, and says which one is refused", async () => {
    // Binary profiles (written by plistlib) with the SSO payload and a root certificate: accepted.
    await expect(configure(pythonBinaryPlist(profileWith([rootCert])))).resolves.toMatchObject({ enabled: true });
    // A Wi-Fi payload is not allowed before enrollment: refused, naming it and the allowed types.
    const refused = await configure(pythonBinaryPlist(profileWith([rootCert, wifi]))).catch((e: Error & { status?: number }) => e);
    expect(refused).toMatchObject({ status: 400 });
    expect((refused as Error).message).toContain('payload 3 "Office Wi-Fi" is com.apple.wifi.managed');
    expect((refused as Error).message).toContain("com.apple.extensiblesso");
    // The same inside a CMS signature (openssl), which is unwrapped before the check.
    const signedBad = signedBody(Buffer.from(pythonBinaryPlist(profileWith([wifi]))).toString("latin1"));
    await expect(configure(signedBad)).rejects.toThrow(/com\.apple\.wifi\.managed/);
    // Only certificates, no SSO payload: refused.
    const onlyCert = pythonBinaryPlist({ ...profileWith([]), PayloadContent: [rootCert] });
    await expect(configure(onlyCert)).rejects.toThrow(/no com\.apple\.extensiblesso payload/);
  });

  it("refuses a configuration profile without an SSO payload, and turns off cleanly", async () => {
    const noSso = Buffer.from(buildPlist({ PayloadType: "Configuration", PayloadContent: [] })).toString("base64");
    await expect(configureEsso({ enabled: true, iTunesStoreID: 1, configurationProfile: noSso })).rejects.toMatchObject({ status: 400 });
    await expect(configureEsso({ enabled: true, iTunesStoreID: 1, configurationProfile: "%%%" })).rejects.toMatchObject({ status: 400 });
    await disableEsso();
    const first = await enrollPost(server, BASE);
    expect(first.headers.get("x-apple-mdm-esso")).toBeNull();
    expect((await fetch(`${server.url}/esso`)).status).toBe(404);
  });
});
