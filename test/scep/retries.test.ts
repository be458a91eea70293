// Idempotent SCEP retries (RFC 8894 3.2.1.1 transactionID): a client whose CertRep was lost
// resends its PKCSReq and gets the certificate already issued, not "challenge already used";
// CertPoll (GetCertInitial) answers for transactions we know. The lost response is real:
// micromdm scepclient talks through a proxy that drops the first PKIOperation answer, then
// runs again with the same key; the bytes it sent are resent verbatim.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { createScepProfile } from "@/lib/scep/profiles";
import { challengeForEnrollment } from "@/lib/scep/challenge";
import { revokeCertificate } from "@/lib/pki/revocation";
import { sha256Fingerprint } from "@/lib/pki/der";
import { MessageType, parsePkiMessage, PkiStatus } from "@/lib/scep/message";
import { buildCsr, buildPkiMessage, getScepCerts, postPkiOperation, readCertRep, selfSigned } from "@/test/helpers/scepClient";
import { startScepServer, tempDir, tool } from "./tools";

const SCEPCLIENT = "/usr/bin/scepclient";
const haveScepclient = fs.existsSync(SCEPCLIENT);

let testDb: TestDb;
let server: RouteServer;

beforeAll(async () => {
  testDb = await createTestDb();
  server = await startScepServer();
});
afterAll(async () => {
  await server?.close();
  await testDb?.close();
});

function keys() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

/** A forwarding proxy that records PKIOperation bodies and can drop the next answer (a lost response). */
async function lossyProxy(target: string) {
  const state = { dropNext: false, bodies: [] as Uint8Array[] };
  const proxy = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", target);
    const isPki = url.searchParams.get("operation") === "PKIOperation";
    if (isPki) state.bodies.push(new Uint8Array(req.method === "POST" ? body : Buffer.from(url.searchParams.get("message") ?? "", "base64")));
    const upstream = await fetch(url, { method: req.method, body: req.method === "POST" ? body : undefined, headers: { "content-type": req.headers["content-type"] ?? "application/octet-stream" } });
    const answer = Buffer.from(await upstream.arrayBuffer());
    if (isPki && state.dropNext) {
      state.dropNext = false;
      req.socket.destroy(); // the server issued; the client never hears of it
      return;
    }
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/octet-stream" });
    res.end(answer);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, state, close: () => new Promise<void>((resolve) => proxy.close(() => resolve())) };
}

function pemToDer(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64"));
}

describe.skipIf(!haveScepclient)("a lost CertRep, with micromdm scepclient", () => {
  it("scepclient run again with the same key gets the same certificate; the captured bytes resent do too", async () => {
    const p = await createScepProfile({ name: "retry-dynamic", challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID" });
    const challenge = await challengeForEnrollment(p.profile.id, {});
    const proxy = await lossyProxy(server.url);
    try {
      const dir = tempDir("scep-retry-");
      const keyPath = path.join(dir, "key.pem");
      const certPath = path.join(dir, "cert.pem");
      const run = (base: string) =>
        tool(SCEPCLIENT, ["-server-url", `${base}/scep/${p.profile.id}`, "-private-key", keyPath, "-certificate", certPath, "-cn", "UDID-RETRY", "-challenge", challenge, "-debug"], { cwd: dir });

      proxy.state.dropNext = true;
      const lost = await run(proxy.url);
      expect(lost.code).not.toBe(0);
      expect(fs.existsSync(certPath)).toBe(false);
      const issued = await testDb.client.certificate.findMany({ where: { profileId: p.profile.id } });
      expect(issued).toHaveLength(1); // issued, answer lost

      // The same client, same key, same (already spent) one-time challenge.
      const again = await run(proxy.url);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout + again.stderr).not.toMatch(/failInfo/);
      const certDer = pemToDer(fs.readFileSync(certPath, "utf8"));
      expect(sha256Fingerprint(certDer)).toBe(issued[0].fingerprint);
      expect(await testDb.client.certificate.count({ where: { profileId: p.profile.id } })).toBe(1);

      // Both attempts carried the same transactionID (scepclient derives it from the key).
      const [first, second] = proxy.state.bodies.map((b) => parsePkiMessage(b));
      expect(second.transactionId).toBe(first.transactionId);

      // The first request's exact bytes, resent: SUCCESS with the same certificate again.
      const { raDer } = await getScepCerts(`${server.url}/scep/${p.profile.id}`);
      const keyPem = fs.readFileSync(keyPath, "utf8");
      const resent = await postPkiOperation(`${server.url}/scep/${p.profile.id}`, proxy.state.bodies[0]);
      const rep = readCertRep(resent.body, raDer, first.signerCertDer, keyPem);
      expect(rep.pkiStatus).toBe(PkiStatus.SUCCESS);
      expect(rep.transactionId).toBe(first.transactionId);
      expect(Buffer.from(rep.certDer!).equals(Buffer.from(certDer))).toBe(true);

      const logs = await testDb.client.enrollmentLog.findMany({ where: { step: "scep", message: { contains: "again" } } });
      expect(logs.length).toBeGreaterThanOrEqual(2);
      expect(logs.every((l) => l.outcome === "OK" && l.message.includes(issued[0].serial))).toBe(true);
      expect(await testDb.client.enrollmentLog.count({ where: { reason: "scep_challenge_replayed" } })).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});

describe("resent PKCSReq and CertPoll", () => {
  let url: string;
  let profileId: string;
  beforeAll(async () => {
    const p = await createScepProfile({ name: "retry-bytes", challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID" });
    profileId = p.profile.id;
    url = `${server.url}/scep/${profileId}`;
  });

  async function request(challenge: string | null, k = keys(), opts: { transactionId?: string; messageType?: string } = {}) {
    const { raDer } = await getScepCerts(url);
    const csrDer = await buildCsr("CN=UDID-BYTES", k.privatePem, k.publicPem, challenge);
    const signerCertDer = await selfSigned("CN=UDID-BYTES", k.privatePem, k.publicPem);
    const req = await buildPkiMessage({ csrDer, recipientCertDer: raDer, signerCertDer, signerKeyPem: k.privatePem, ...opts });
    return { req, raDer, signerCertDer, k };
  }

  it("two identical requests at once: one certificate, both get it", async () => {
    const challenge = await challengeForEnrollment(profileId, {});
    const { req, raDer, signerCertDer, k } = await request(challenge);
    const before = await testDb.client.certificate.count({ where: { profileId } });
    const answers = await Promise.all([postPkiOperation(url, req.body), postPkiOperation(url, req.body)]);
    const reps = answers.map((a) => readCertRep(a.body, raDer, signerCertDer, k.privatePem));
    expect(reps.map((r) => r.pkiStatus)).toEqual([PkiStatus.SUCCESS, PkiStatus.SUCCESS]);
    expect(Buffer.from(reps[0].certDer!).equals(Buffer.from(reps[1].certDer!))).toBe(true);
    expect(await testDb.client.certificate.count({ where: { profileId } })).toBe(before + 1);
  });

  it("the same transactionID with another key is refused; the first key still gets its certificate", async () => {
    const challenge = await challengeForEnrollment(profileId, {});
    const first = await request(challenge);
    const ok = readCertRep((await postPkiOperation(url, first.req.body)).body, first.raDer, first.signerCertDer, first.k.privatePem);
    expect(ok.pkiStatus).toBe(PkiStatus.SUCCESS);
    const other = await request(challenge, keys(), { transactionId: first.req.transactionId });
    const refused = readCertRep((await postPkiOperation(url, other.req.body)).body, other.raDer, other.signerCertDer, other.k.privatePem);
    expect(refused).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badRequest", certDer: null });
    expect((await testDb.client.enrollmentLog.findFirst({ where: { step: "scep" }, orderBy: { time: "desc" } }))?.reason).toBe("scep_transaction_reused");
    // A fresh message (new nonce, new signature) from the first key: its certificate again.
    const resend = await request(challenge, first.k, { transactionId: first.req.transactionId });
    const again = readCertRep((await postPkiOperation(url, resend.req.body)).body, resend.raDer, resend.signerCertDer, first.k.privatePem);
    expect(again.pkiStatus).toBe(PkiStatus.SUCCESS);
    expect(Buffer.from(again.certDer!).equals(Buffer.from(ok.certDer!))).toBe(true);
  });

  it("a refused request frees its transaction: the retry with the right challenge is issued", async () => {
    const k = keys();
    const wrong = await request("WRONGWRONGWRONGWRONG", k);
    expect(readCertRep((await postPkiOperation(url, wrong.req.body)).body, wrong.raDer, wrong.signerCertDer, k.privatePem).pkiStatus).toBe(PkiStatus.FAILURE);
    const right = await request(await challengeForEnrollment(profileId, {}), k, { transactionId: wrong.req.transactionId });
    expect(readCertRep((await postPkiOperation(url, right.req.body)).body, right.raDer, right.signerCertDer, k.privatePem).pkiStatus).toBe(PkiStatus.SUCCESS);
  });

  it("CertPoll: SUCCESS with the certificate for its signer, badCertId for another signer or an unknown transaction", async () => {
    const challenge = await challengeForEnrollment(profileId, {});
    const first = await request(challenge);
    const issued = readCertRep((await postPkiOperation(url, first.req.body)).body, first.raDer, first.signerCertDer, first.k.privatePem);
    expect(issued.pkiStatus).toBe(PkiStatus.SUCCESS);
    const poll = await request(null, first.k, { transactionId: first.req.transactionId, messageType: MessageType.CertPoll });
    const polled = readCertRep((await postPkiOperation(url, poll.req.body)).body, poll.raDer, poll.signerCertDer, first.k.privatePem);
    expect(polled).toMatchObject({ pkiStatus: PkiStatus.SUCCESS, transactionId: first.req.transactionId });
    expect(Buffer.from(polled.certDer!).equals(Buffer.from(issued.certDer!))).toBe(true);

    const stranger = await request(null, keys(), { transactionId: first.req.transactionId, messageType: MessageType.CertPoll });
    expect(readCertRep((await postPkiOperation(url, stranger.req.body)).body, stranger.raDer, stranger.signerCertDer, stranger.k.privatePem)).toMatchObject({
      pkiStatus: PkiStatus.FAILURE,
      failInfo: "badCertId",
      certDer: null,
    });
    const unknown = await request(null, first.k, { transactionId: "no-such-transaction", messageType: MessageType.CertPoll });
    expect(readCertRep((await postPkiOperation(url, unknown.req.body)).body, unknown.raDer, unknown.signerCertDer, first.k.privatePem)).toMatchObject({
      pkiStatus: PkiStatus.FAILURE,
      failInfo: "badCertId",
    });
  });

  it("a resent request whose certificate was revoked meanwhile gets FAILURE, not the revoked certificate", async () => {
    const challenge = await challengeForEnrollment(profileId, {});
    const first = await request(challenge);
    const issued = readCertRep((await postPkiOperation(url, first.req.body)).body, first.raDer, first.signerCertDer, first.k.privatePem);
    const row = await testDb.client.certificate.findUniqueOrThrow({ where: { fingerprint: sha256Fingerprint(issued.certDer!) } });
    await revokeCertificate(row.serial, { reason: "test" });
    const again = readCertRep((await postPkiOperation(url, first.req.body)).body, first.raDer, first.signerCertDer, first.k.privatePem);
    expect(again).toMatchObject({ pkiStatus: PkiStatus.FAILURE, certDer: null });
  });
});
