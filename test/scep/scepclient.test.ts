// Interoperability: Debian's micromdm scepclient enrolls against our real SCEP route with
// every challenge type; OpenSSL verifies what it gets. Failures come back as CertRep FAILURE.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { createScepProfile } from "@/lib/scep/profiles";
import { challengeForEnrollment } from "@/lib/scep/challenge";
import { createEnrollmentToken, consumeEnrollmentUse } from "@/lib/enrollment/tokens";
import { getCa } from "@/lib/pki/ca";
import { sha256Fingerprint } from "@/lib/pki/der";
import { opensslDates, opensslSubject, opensslText, startScepServer, tempDir, tool } from "./tools";

const SCEPCLIENT = "/usr/bin/scepclient";
const haveScepclient = fs.existsSync(SCEPCLIENT);

let testDb: TestDb;
let server: RouteServer;
let caFile: string;

beforeAll(async () => {
  testDb = await createTestDb();
  server = await startScepServer();
  const dir = tempDir("scep-ca-");
  caFile = path.join(dir, "ca.pem");
  fs.writeFileSync(caFile, (await getCa()).certPem);
});
afterAll(async () => {
  await server?.close();
  await testDb?.close();
});

interface Run {
  code: number;
  output: string;
  dir: string;
  certPath: string;
  keyPath: string;
}

async function scepclient(profileId: string, opts: { challenge?: string; cn: string; dir?: string; keySize?: number; org?: string }): Promise<Run> {
  const dir = opts.dir ?? tempDir("scepclient-");
  const keyPath = path.join(dir, "key.pem");
  const certPath = path.join(dir, "cert.pem");
  const args = ["-server-url", `${server.url}/scep/${profileId}`, "-private-key", keyPath, "-certificate", certPath, "-cn", opts.cn, "-organization", opts.org ?? "Client Org", "-debug"];
  if (opts.challenge !== undefined) args.push("-challenge", opts.challenge);
  if (opts.keySize) args.push("-keySize", String(opts.keySize));
  const r = await tool(SCEPCLIENT, args, { cwd: dir });
  return { code: r.code, output: r.stdout + r.stderr, dir, certPath, keyPath };
}

async function lastScepLog() {
  return testDb.client.enrollmentLog.findFirstOrThrow({ where: { step: "scep", message: { contains: "certificate" } }, orderBy: { time: "desc" } });
}

async function expectIssued(run: Run, expected: { subject: string; validityDays: number; usage: RegExp; bits?: number }) {
  expect(run.code, run.output).toBe(0);
  expect(fs.existsSync(run.certPath)).toBe(true);
  const verify = await tool("openssl", ["verify", "-CAfile", caFile, run.certPath]);
  expect(verify.stdout.trim()).toBe(`${run.certPath}: OK`);
  expect(await opensslSubject(run.certPath)).toBe(expected.subject);
  const text = await opensslText(run.certPath);
  expect(text).toMatch(expected.usage);
  if (expected.bits) expect(text).toContain(`Public-Key: (${expected.bits} bit)`);
  const { notBefore, notAfter } = await opensslDates(run.certPath);
  expect(Math.round((notAfter.getTime() - notBefore.getTime()) / 86_400_000)).toBe(expected.validityDays);
  // The key scepclient generated is the key in the certificate.
  const certMod = (await tool("openssl", ["x509", "-noout", "-modulus", "-in", run.certPath])).stdout;
  const keyMod = (await tool("openssl", ["rsa", "-noout", "-modulus", "-in", run.keyPath])).stdout;
  expect(certMod).toBe(keyMod);
  const der = (await tool("openssl", ["x509", "-outform", "PEM", "-in", run.certPath])).stdout;
  const body = Buffer.from(der.replace(/-----[^-]+-----|\s/g, ""), "base64");
  return testDb.client.certificate.findUniqueOrThrow({ where: { fingerprint: sha256Fingerprint(body) } });
}

describe.skipIf(!haveScepclient)(`micromdm scepclient${haveScepclient ? "" : " (skipped: /usr/bin/scepclient is missing; apt-get install scep)"}`, () => {
  it("STATIC: obtains a certificate with the profile's subject, key usage and validity", async () => {
    const p = await createScepProfile({ name: "static", challengeType: "STATIC", staticChallenge: "correct horse battery", subjectTemplate: "CN=$UDID,O=Acme Devices", validityDays: 90, keyUsage: 1 });
    const run = await scepclient(p.profile.id, { challenge: "correct horse battery", cn: "00008030-001A2B3C4D5E802E" });
    const row = await expectIssued(run, { subject: "/CN=00008030-001A2B3C4D5E802E/O=Acme Devices", validityDays: 90, usage: /Key Usage: critical\n\s+Digital Signature\n/ });
    expect(row.profileId).toBe(p.profile.id);
    const log = await lastScepLog();
    expect(log.outcome).toBe("OK");
    expect(log.message).toContain(row.serial);
  });

  it("STATIC: a wrong challenge gets CertRep FAILURE badRequest and a scep_bad_challenge log line", async () => {
    const p = await createScepProfile({ name: "static-wrong", challengeType: "STATIC" });
    const run = await scepclient(p.profile.id, { challenge: "not the password", cn: "device" });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/PKCSReq \(19\) request failed, failInfo: badRequest \(2\)/);
    expect(fs.existsSync(run.certPath)).toBe(false);
    const log = await lastScepLog();
    expect(log).toMatchObject({ outcome: "ERROR", reason: "scep_bad_challenge" });
  });

  it("DYNAMIC: a one-time challenge works once; reuse and expiry are refused with their reasons", async () => {
    const p = await createScepProfile({ name: "dynamic", challengeType: "DYNAMIC", subjectTemplate: "CN=$COMPUTERNAME ma $UDID", keyUsage: 5, validityDays: 30 });
    const challenge = await challengeForEnrollment(p.profile.id, {});
    const run = await scepclient(p.profile.id, { challenge, cn: "Lab-Mac ma UDID-42" });
    await expectIssued(run, { subject: "/CN=Lab-Mac ma UDID-42", validityDays: 30, usage: /Digital Signature, Key Encipherment/ });

    const again = await scepclient(p.profile.id, { challenge, cn: "Lab-Mac ma UDID-42" });
    expect(again.output).toMatch(/failInfo: badRequest/);
    expect(await lastScepLog()).toMatchObject({ outcome: "ERROR", reason: "scep_challenge_replayed" });

    const stale = await challengeForEnrollment(p.profile.id, {});
    await testDb.client.scepChallenge.updateMany({ where: { profileId: p.profile.id, usedAt: null }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    const expired = await scepclient(p.profile.id, { challenge: stale, cn: "Lab-Mac ma UDID-43" });
    expect(expired.output).toMatch(/failInfo: badRequest/);
    expect(await lastScepLog()).toMatchObject({ outcome: "ERROR", reason: "scep_challenge_expired" });
  });

  it("TOKEN: the download's short challenge (<= 255) enrolls; the certificate records the token", async () => {
    const p = await createScepProfile({ name: "token", challengeType: "TOKEN", subjectTemplate: "CN=$UDID", validityDays: 365 });
    const token = await createEnrollmentToken({ name: "scep token", expiresIn: "24h", maxUses: 1, scepProfileId: p.profile.id });
    expect(await consumeEnrollmentUse(token.id)).toBe(true); // the profile download
    const challenge = await challengeForEnrollment(p.profile.id, { tokenId: token.id });
    expect(challenge.length).toBeLessThanOrEqual(255);
    const run = await scepclient(p.profile.id, { challenge, cn: "UDID-TOKEN-1" });
    const row = await expectIssued(run, { subject: "/CN=UDID-TOKEN-1", validityDays: 365, usage: /Digital Signature, Key Encipherment/ });
    expect(row.enrollmentTokenId).toBe(token.id);
    const t = await testDb.client.enrollmentToken.findUniqueOrThrow({ where: { id: token.id } });
    expect(t.useCount).toBe(1); // SCEP took no use of its own
    const log = await lastScepLog();
    expect(log.tokenId).toBe(token.id);
    // One download, one certificate: the same challenge cannot mint a second one.
    const second = await scepclient(p.profile.id, { challenge, cn: "UDID-TOKEN-2" });
    expect(second.output).toMatch(/failInfo: badRequest/);
    expect(await lastScepLog()).toMatchObject({ reason: "scep_challenge_replayed", tokenId: token.id });
  });

  it("NDES: the challenge from the NDES page (UTF-16LE, basic auth) enrolls once", async () => {
    const p = await createScepProfile({ name: "ndes", challengeType: "NDES", subjectTemplate: "CN=$UDID,OU=Jamf" });
    const res = await fetch(`${server.url}/ndes/${p.profile.id}`, { headers: { authorization: `Basic ${Buffer.from(`${p.ndesUsername}:${p.ndesPassword}`).toString("base64")}` } });
    expect(res.status).toBe(200);
    const html = Buffer.from(await res.arrayBuffer()).toString("utf16le");
    const m = /The enrollment challenge password is: <B> ([A-Z0-9]{16,32}) <\/B>/.exec(html);
    expect(m).not.toBeNull();
    const run = await scepclient(p.profile.id, { challenge: m![1], cn: "UDID-NDES" });
    await expectIssued(run, { subject: "/CN=UDID-NDES/OU=Jamf", validityDays: 365, usage: /Digital Signature, Key Encipherment/ });
  });

  it("4096-bit profile: issues for a 4096-bit key, refuses a 2048-bit one (scep_key_too_small)", async () => {
    const p = await createScepProfile({ name: "big", challengeType: "STATIC", staticChallenge: "big-key-secret", keySize: 4096 });
    const small = await scepclient(p.profile.id, { challenge: "big-key-secret", cn: "small" });
    expect(small.output).toMatch(/failInfo: badRequest/);
    expect(await lastScepLog()).toMatchObject({ reason: "scep_key_too_small" });
    const big = await scepclient(p.profile.id, { challenge: "big-key-secret", cn: "big", keySize: 4096 });
    await expectIssued(big, { subject: "/CN=big", validityDays: 365, usage: /Digital Signature/, bits: 4096 });
  });

  it("subject limit per attribute (X.520): a 64-character CN is issued, 65 gets FAILURE scep_subject_too_long", async () => {
    const p = await createScepProfile({ name: "long", challengeType: "STATIC", staticChallenge: "long-subject-secret", subjectTemplate: "CN=$UDID,O=A Rather Long Organisation Name" });
    const cn64 = `00008030-001A2B3C4D5E802E-${"X".repeat(64 - 26)}`;
    expect(cn64).toHaveLength(64);
    // 64 + 31 characters of values, 101 written: each value is within its bound.
    const ok = await scepclient(p.profile.id, { challenge: "long-subject-secret", cn: cn64 });
    await expectIssued(ok, { subject: `/CN=${cn64}/O=A Rather Long Organisation Name`, validityDays: 365, usage: /Digital Signature/ });
    const run = await scepclient(p.profile.id, { challenge: "long-subject-secret", cn: `${cn64}Y` });
    expect(run.output).toMatch(/failInfo: badRequest/);
    const log = await lastScepLog();
    expect(log).toMatchObject({ outcome: "ERROR", reason: "scep_subject_too_long" });
    expect(log.message).toMatch(/65 characters; the limit for CN is 64/);
  });

  it("renewal: scepclient run again with its issued certificate gets a new one linked to the old", async () => {
    // A renewal window as long as the validity: renewal is allowed right away.
    const p = await createScepProfile({ name: "renew", challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID", validityDays: 30, renewalWindowDays: 30 });
    const challenge = await challengeForEnrollment(p.profile.id, {});
    const first = await scepclient(p.profile.id, { challenge, cn: "UDID-RENEW" });
    const firstRow = await expectIssued(first, { subject: "/CN=UDID-RENEW", validityDays: 30, usage: /Digital Signature/ });
    fs.copyFileSync(first.certPath, path.join(first.dir, "first.pem"));
    // No challenge: the signature with the issued certificate is the authorisation.
    const renewed = await scepclient(p.profile.id, { cn: "UDID-RENEW", dir: first.dir });
    expect(renewed.code, renewed.output).toBe(0);
    const newRow = await expectIssued(renewed, { subject: "/CN=UDID-RENEW", validityDays: 30, usage: /Digital Signature/ });
    expect(newRow.serial).not.toBe(firstRow.serial);
    expect(newRow.renewedFromSerial).toBe(firstRow.serial);
  });
});
