// RFC 8555's request rules over real HTTP: nonces (use-once, also across two server
// instances on one database), JWS algorithms and keys, URLs, accounts (onlyReturnExisting,
// rollover, deactivation), order state rules, revocation into the CRL, and hostile bodies
// that must get a problem document, never a 500.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { exportJWK, FlattenedSign } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newNonce } from "@/lib/acme/nonces";
import { pruneAcme } from "@/lib/acme/prune";
import { db } from "@/lib/db/client";
import { clearCaCache } from "@/lib/pki/ca";
import { currentCrl } from "@/lib/pki/crl";
import { clearServerKeyCache } from "@/lib/secrets/serverKeys";
import { AcmeClient, deviceAttestPayload, deviceKey, generateAccountKey, opensslCsr } from "@/test/helpers/acmeDeviceClient";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { makeTestAttestationRoot, type TestAttestationRoot } from "@/test/helpers/fakeAppleAttestation";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";

const PUBLIC_URL = process.env.PUBLIC_URL!;
let t: TestDb;
let server: RouteServer;
let second: RouteServer;
let root: TestAttestationRoot;

beforeAll(async () => {
  t = await createTestDb();
  clearServerKeyCache();
  clearCaCache();
  root = makeTestAttestationRoot();
  process.env.ATTESTATION_TEST_ROOTS_PEM = root.rootPem;
  server = await serveRouteImports({ "/acme/[...path]": import("@/app/acme/[...path]/route") });
  // A second instance on the same database, as another worker or server would be.
  second = await serveRouteImports({ "/acme/[...path]": import("@/app/acme/[...path]/route") });
});

afterAll(async () => {
  await server?.close();
  await second?.close();
  await t?.close();
});

async function account(alg: "ES256" | "ES384" | "RS256" = "ES256"): Promise<AcmeClient> {
  const c = new AcmeClient(server.url, PUBLIC_URL, generateAccountKey(alg), alg);
  expect((await c.newAccount()).status).toBe(201);
  return c;
}

async function lastReason(): Promise<string | null> {
  const row = await db().enrollmentLog.findFirst({ where: { step: "acme" }, orderBy: [{ time: "desc" }, { id: "desc" }] });
  return row?.reason ?? null;
}

const PROBLEM = "urn:ietf:params:acme:error:";

describe("directory and nonces", () => {
  it("lists the resources and meta", async () => {
    const c = new AcmeClient(server.url, PUBLIC_URL);
    const d = await c.directory();
    expect(d).toMatchObject({
      newNonce: `${PUBLIC_URL}/acme/new-nonce`,
      newAccount: `${PUBLIC_URL}/acme/new-account`,
      newOrder: `${PUBLIC_URL}/acme/new-order`,
      revokeCert: `${PUBLIC_URL}/acme/revoke-cert`,
      keyChange: `${PUBLIC_URL}/acme/key-change`,
    });
    expect(d.meta).toMatchObject({ externalAccountRequired: false });
  });

  it("new-nonce: HEAD 200, GET 204, each with a fresh Replay-Nonce and no-store", async () => {
    const head = await fetch(`${server.url}/acme/new-nonce`, { method: "HEAD" });
    const get = await fetch(`${server.url}/acme/new-nonce`);
    expect(head.status).toBe(200);
    expect(get.status).toBe(204);
    expect(head.headers.get("replay-nonce")).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(head.headers.get("replay-nonce")).not.toBe(get.headers.get("replay-nonce"));
    expect(get.headers.get("cache-control")).toBe("no-store");
    expect(get.headers.get("link")).toBe(`<${PUBLIC_URL}/acme/directory>;rel="index"`);
  });

  it("accepts a nonce once, on any instance, and answers a replay with badNonce and a fresh nonce", async () => {
    const c = await account();
    const nonce = await c.freshNonce();
    const body = await c.sign(c.dir.newOrder, { identifiers: [{ type: "dns", value: "a.example.com" }] }, { header: { nonce } });
    // Used on the second instance: accepted there (policy refuses the name, but not the nonce).
    const first = await fetch(`${second.url}/acme/new-order`, { method: "POST", headers: { "content-type": "application/jose+json" }, body });
    expect(((await first.json()) as { type: string }).type).toBe(`${PROBLEM}rejectedIdentifier`);
    const replay = await c.postRaw(c.dir.newOrder, body);
    expect(replay.status).toBe(400);
    expect(replay.body.type).toBe(`${PROBLEM}badNonce`);
    expect(replay.headers.get("content-type")).toBe("application/problem+json");
    expect(replay.headers.get("replay-nonce")).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(replay.headers.get("replay-nonce")).not.toBe(nonce);
    expect(await lastReason()).toBe("acme_bad_nonce");
    const unknown = await c.post(c.dir.newOrder, { identifiers: [] }, { header: { nonce: "made-up-nonce" } });
    expect(unknown.body.type).toBe(`${PROBLEM}badNonce`);
    // A well-formed nonce with a wrong MAC, and one of ours issued two hours ago.
    const forged = Buffer.from(nonce, "base64url");
    forged[forged.length - 1] ^= 1;
    expect((await c.post(c.dir.newOrder, { identifiers: [] }, { header: { nonce: forged.toString("base64url") } })).body.type).toBe(`${PROBLEM}badNonce`);
    const stale = await newNonce(new Date(Date.now() - 2 * 3600_000));
    expect((await c.post(c.dir.newOrder, { identifiers: [] }, { header: { nonce: stale } })).body.type).toBe(`${PROBLEM}badNonce`);
  });

  it("hands out nonces without writing to the database", async () => {
    const before = await db().acmeNonce.count();
    for (let i = 0; i < 5; i++) expect((await fetch(`${server.url}/acme/new-nonce`, { method: "HEAD" })).status).toBe(200);
    expect(await db().acmeNonce.count()).toBe(before);
  });
});

describe("JWS", () => {
  it("refuses other algorithms with badSignatureAlgorithm and the list it accepts", async () => {
    const c = new AcmeClient(server.url, PUBLIC_URL);
    await c.directory();
    const ed = crypto.generateKeyPairSync("ed25519").privateKey;
    const r = await c.post(c.dir.newAccount, {}, { useJwk: true, key: ed, alg: "EdDSA" });
    expect(r.body.type).toBe(`${PROBLEM}badSignatureAlgorithm`);
    expect(r.body.algorithms).toEqual(["ES256", "ES384", "RS256"]);
    const none = await c.postRaw(
      c.dir.newAccount,
      JSON.stringify({
        protected: Buffer.from(JSON.stringify({ alg: "none", nonce: await c.freshNonce(), url: c.dir.newAccount, jwk: await c.jwk() })).toString("base64url"),
        payload: "",
        signature: "",
      }),
    );
    expect(none.body.type).toBe(`${PROBLEM}badSignatureAlgorithm`);
  });

  it("accepts ES256, ES384 and RS256 accounts", async () => {
    for (const alg of ["ES256", "ES384", "RS256"] as const) await account(alg);
  });

  it("refuses a jwk with private members, a wrong URL, a bad signature and an unknown kid", async () => {
    const c = new AcmeClient(server.url, PUBLIC_URL);
    await c.directory();
    const priv = await exportJWK(c.key);
    expect((await c.post(c.dir.newAccount, {}, { useJwk: true, header: { jwk: priv } })).body.type).toBe(`${PROBLEM}badPublicKey`);
    expect((await c.post(c.dir.newAccount, {}, { useJwk: true, header: { url: `${PUBLIC_URL}/acme/new-order` } })).body.type).toBe(`${PROBLEM}unauthorized`);
    // Signed by one key, presenting another.
    const other = await exportJWK(crypto.createPublicKey(generateAccountKey()));
    expect((await c.post(c.dir.newAccount, {}, { useJwk: true, header: { jwk: other } })).body.type).toBe(`${PROBLEM}malformed`);
    expect(await lastReason()).toBe("acme_bad_signature");
    const ghost = await c.post(c.dir.newOrder, { identifiers: [] }, { header: { kid: `${PUBLIC_URL}/acme/acct/nobody`, jwk: undefined } });
    expect(ghost.body.type).toBe(`${PROBLEM}accountDoesNotExist`);
    // newAccount with a kid, and newOrder with a jwk, are malformed.
    const a = await account();
    expect((await a.post(a.dir.newAccount, {}, { useJwk: false })).body.type).toBe(`${PROBLEM}malformed`);
    expect((await a.post(a.dir.newOrder, { identifiers: [] }, { useJwk: true })).body.type).toBe(`${PROBLEM}malformed`);
  });

  it("answers hostile bodies with problems, never a 500", async () => {
    const c = await account();
    const nonce = () => c.freshNonce();
    const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
    const bodies: (string | Uint8Array<ArrayBuffer>)[] = [
      "",
      "not json",
      "[]",
      "null",
      '{"protected":1,"payload":"","signature":""}',
      JSON.stringify({ protected: "!!!", payload: "", signature: "" }),
      JSON.stringify({ protected: b64("not json"), payload: "", signature: "" }),
      JSON.stringify({ protected: b64({ alg: "ES256" }), payload: "", signature: "" }),
      JSON.stringify({ protected: b64({ alg: "ES256", nonce: await nonce(), url: c.dir.newOrder, kid: c.accountUrl, jwk: await c.jwk() }), payload: "", signature: "AA" }),
      JSON.stringify({ protected: b64({ alg: "ES256", nonce: await nonce(), url: c.dir.newOrder, kid: c.accountUrl }), payload: "", signature: "AA" }),
      JSON.stringify({ protected: b64({ alg: "ES256", nonce: await nonce(), url: c.dir.newOrder, kid: 42 }), payload: "", signature: "AA" }),
      JSON.stringify({ protected: b64({ alg: "RS256", nonce: await nonce(), url: c.dir.newAccount, jwk: { kty: "RSA", n: "AQAB", e: "AQAB" } }), payload: "", signature: "AA" }),
      JSON.stringify({ protected: b64({ alg: "ES256", nonce: await nonce(), url: c.dir.newAccount, jwk: { kty: "EC", crv: "P-256", x: "AA", y: "AA" } }), payload: "", signature: "AA" }),
      JSON.stringify({ signatures: [] }),
      new Uint8Array([0xff, 0xfe, 0x00]),
    ];
    for (const body of bodies) {
      const r = await c.postRaw(c.dir.newOrder, body);
      expect(r.status, String(body).slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(r.status, String(body).slice(0, 80)).toBeLessThan(500);
      expect(r.body.type).toMatch(/^urn:ietf:params:acme:error:/);
    }
    // Payloads that verify but make no sense.
    for (const payload of [
      [],
      "x",
      7,
      { identifiers: "x" },
      { identifiers: [{ type: "dns" }] },
      { identifiers: [{ type: "ip", value: "1.2.3.4" }] },
      { identifiers: Array.from({ length: 50 }, (_, i) => ({ type: "dns", value: `h${i}.example.com` })) },
    ]) {
      const r = await c.post(c.dir.newOrder, payload);
      expect(r.status).toBe(400);
    }
    const wrongType = await c.postRaw(c.dir.newOrder, await c.sign(c.dir.newOrder, {}), "application/json");
    expect(wrongType.status).toBe(415);
    const huge = await c.postRaw(c.dir.newOrder, "x".repeat(200_000));
    expect(huge.status).toBe(413);
    expect(huge.body.type).toBe(`${PROBLEM}malformed`);
    const get = await fetch(`${server.url}/acme/new-order`);
    expect(get.status).toBe(405);
    const nowhere = await c.postRaw(`${PUBLIC_URL}/acme/nowhere`, "{}");
    expect(nowhere.status).toBe(404);
  });
});

describe("accounts", () => {
  it("onlyReturnExisting finds the account by key, or says it does not exist", async () => {
    const c = await account();
    const again = new AcmeClient(server.url, PUBLIC_URL, c.key);
    const found = await again.newAccount({ onlyReturnExisting: true });
    expect(found.status).toBe(200);
    expect(found.headers.get("location")).toBe(c.accountUrl);
    const stranger = new AcmeClient(server.url, PUBLIC_URL);
    const none = await stranger.newAccount({ onlyReturnExisting: true });
    expect(none.body.type).toBe(`${PROBLEM}accountDoesNotExist`);
  });

  it("rolls over to a new key: the old key no longer signs for the account", async () => {
    const c = await account();
    const newKey = generateAccountKey("ES384");
    const inner = await new FlattenedSign(new TextEncoder().encode(JSON.stringify({ account: c.accountUrl, oldKey: await c.jwk() })))
      .setProtectedHeader({ alg: "ES384", jwk: await exportJWK(crypto.createPublicKey(newKey)), url: c.dir.keyChange })
      .sign(newKey);
    const r = await c.post(c.dir.keyChange, inner);
    expect(r.status).toBe(200);
    expect((await c.post(c.accountUrl!, "")).body.type).toBe(`${PROBLEM}malformed`);
    c.key = newKey;
    c.alg = "ES384";
    expect((await c.post(c.accountUrl!, "")).body.status).toBe("valid");
    // A key already in use by another account is a conflict.
    const other = await account();
    const taken = await new FlattenedSign(new TextEncoder().encode(JSON.stringify({ account: other.accountUrl, oldKey: await other.jwk() })))
      .setProtectedHeader({ alg: "ES384", jwk: await exportJWK(crypto.createPublicKey(newKey)), url: other.dir.keyChange })
      .sign(newKey);
    const conflict = await other.post(other.dir.keyChange, taken);
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get("location")).toBe(c.accountUrl);
  });

  it("updates contacts, refuses non-mailto ones, and deactivates", async () => {
    const c = await account();
    expect((await c.post(c.accountUrl!, { contact: ["mailto:it@example.com"] })).body.contact).toEqual(["mailto:it@example.com"]);
    expect((await c.post(c.accountUrl!, { contact: ["tel:+1555"] })).body.type).toBe(`${PROBLEM}unsupportedContact`);
    expect((await c.post(c.accountUrl!, { status: "deactivated" })).body.status).toBe("deactivated");
    const after = await c.post(c.dir.newOrder, { identifiers: [{ type: "dns", value: "x.example.com" }] });
    expect(after.status).toBe(403);
    expect(after.body.type).toBe(`${PROBLEM}unauthorized`);
    expect(await lastReason()).toBe("acme_account_deactivated");
    // Its key cannot register again either (§7.3.6).
    const again = new AcmeClient(server.url, PUBLIC_URL, c.key);
    expect((await again.newAccount()).body.type).toBe(`${PROBLEM}unauthorized`);
  });
});

describe("orders, revocation", () => {
  async function attestedOrder(c: AcmeClient) {
    const serial = `R${crypto.randomBytes(5).toString("hex").toUpperCase()}`;
    await db().acmeRegisteredDevice.create({ data: { serialNumber: serial } });
    const order = await c.newOrder([{ type: "permanent-identifier", value: serial }]);
    const { challenge, authzUrl } = await c.firstChallenge(order);
    return { serial, order, challenge, authzUrl };
  }

  it("keeps orders to their account, says Retry-After while pending, refuses an early finalize", async () => {
    const c = await account();
    const { order, authzUrl } = await attestedOrder(c);
    const orderUrl = order.headers.get("location")!;
    const pending = await c.post(authzUrl, "");
    expect(pending.body.status).toBe("pending");
    expect(Number(pending.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await c.post(orderUrl, "")).headers.get("retry-after")).toBeTruthy();
    const early = await c.post(order.body.finalize as string, { csr: opensslCsr(deviceKey().privateKey, "/CN=x").toString("base64url") });
    expect(early.status).toBe(403);
    expect(early.body.type).toBe(`${PROBLEM}orderNotReady`);
    const stranger = await account();
    expect((await stranger.post(orderUrl, "")).status).toBe(404);
    expect((await stranger.post(authzUrl, "")).status).toBe(404);
    const list = await c.post(`${c.accountUrl}/orders`, "");
    expect(list.body.orders).toContain(orderUrl);
  });

  it("revokes with the certificate's own key into the CRL; a second revocation is alreadyRevoked", async () => {
    const c = await account();
    const { serial, order, challenge } = await attestedOrder(c);
    const key = deviceKey();
    expect((await c.post(challenge.url, deviceAttestPayload(root, challenge.token, { serialNumber: serial, publicKey: key.publicKey }))).body.status).toBe("valid");
    const fin = await c.post(order.body.finalize as string, { csr: opensslCsr(key.privateKey, "/CN=x").toString("base64url") });
    const pem = (await c.post(fin.body.certificate as string, "")).text;
    const der = new crypto.X509Certificate(pem).raw.toString("base64url");
    const stranger = await account();
    const refused = await stranger.post(stranger.dir.revokeCert, { certificate: der });
    expect(refused.body.type).toBe(`${PROBLEM}unauthorized`);
    expect(await lastReason()).toBe("acme_revocation_refused");
    expect((await c.post(c.dir.revokeCert, { certificate: der, reason: 8 })).body.type).toBe(`${PROBLEM}badRevocationReason`);
    // Signed with the certificate's key (jwk), reason keyCompromise.
    const holder = new AcmeClient(server.url, PUBLIC_URL, key.privateKey);
    await holder.directory();
    const ok = await holder.post(holder.dir.revokeCert, { certificate: der, reason: 1 }, { useJwk: true });
    expect(ok.status).toBe(200);
    const sn = new crypto.X509Certificate(pem).serialNumber.toLowerCase().replace(/^0+/, "");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "acme-crl-"));
    fs.writeFileSync(path.join(dir, "crl.der"), (await currentCrl()).der);
    const crl = execFileSync("openssl", ["crl", "-inform", "DER", "-in", path.join(dir, "crl.der"), "-noout", "-text"])
      .toString()
      .toLowerCase();
    fs.rmSync(dir, { recursive: true, force: true });
    expect(crl.replace(/\s+/g, " ")).toMatch(new RegExp(`serial number: 0*${sn} .*key compromise`));
    expect((await c.post(c.dir.revokeCert, { certificate: der })).body.type).toBe(`${PROBLEM}alreadyRevoked`);
  });
});

describe("pruning", () => {
  it("drops expired nonces and failed orders a day after they expired, keeps valid ones", async () => {
    const c = await account();
    const later = new Date(Date.now() + 3 * 86_400_000);
    const validBefore = await db().acmeOrder.count({ where: { status: "valid" } });
    await c.newOrder([{ type: "dns", value: "nowhere.example.com" }]); // refused: no row
    const r = await pruneAcme(later);
    expect(r.nonces).toBeGreaterThan(0);
    expect(await db().acmeNonce.count()).toBe(0);
    expect(await db().acmeOrder.count({ where: { status: { not: "valid" } } })).toBe(0);
    expect(await db().acmeAuthorization.count({ where: { status: "pending" } })).toBe(0);
    expect(await db().acmeOrder.count({ where: { status: "valid" } })).toBe(validBefore);
  });
});
