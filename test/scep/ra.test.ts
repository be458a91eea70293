// The SCEP RA over HTTP: the CA's key never opens a request (one encrypted to the CA
// certificate is refused though the CA key could open it), every malformed key-transport
// block answers exactly like a wrong key, and a rotated RA keeps working for requests
// already addressed to it.
import crypto from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { createScepProfile } from "@/lib/scep/profiles";
import { getCa } from "@/lib/pki/ca";
import { getRa, RA_KEY_NAME } from "@/lib/pki/ra";
import { ab, toPem } from "@/lib/pki/der";
import { generateRsaKeyPair, publicKeyInfoFromPem } from "@/lib/pki/keys";
import { nameFromString } from "@/lib/pki/names";
import { buildCertificate, certificateDer, KU, subjectKeyId } from "@/lib/pki/x509";
import { putServerKey } from "@/lib/secrets/serverKeys";
import { AES_256_CBC, encryptEnvelope } from "@/lib/scep/envelope";
import { PkiStatus } from "@/lib/scep/message";
import { buildCsr, buildPkiMessage, getScepCerts, postPkiOperation, readCertRep, selfSigned } from "@/test/helpers/scepClient";
import { startScepServer } from "./tools";

const CHALLENGE = "ra-test-static-secret";
let testDb: TestDb;
let server: RouteServer;
let url: string;

beforeAll(async () => {
  testDb = await createTestDb();
  server = await startScepServer();
  const p = await createScepProfile({ name: "ra", challengeType: "STATIC", staticChallenge: CHALLENGE, subjectTemplate: "CN=$UDID" });
  url = `${server.url}/scep/${p.profile.id}`;
});
afterAll(async () => {
  await server?.close();
  await testDb?.close();
});

function rsa() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

/** A requester: its key, self-signed certificate and CSR with the right challenge. */
async function requester(cn: string) {
  const k = rsa();
  return { k, csrDer: await buildCsr(`CN=${cn}`, k.privatePem, k.publicPem, CHALLENGE), signerCertDer: await selfSigned(`CN=${cn}`, k.privatePem, k.publicPem) };
}

async function send(r: Awaited<ReturnType<typeof requester>>, envelope: Uint8Array) {
  const { raDer } = await getScepCerts(url);
  const req = await buildPkiMessage({ csrDer: r.csrDer, recipientCertDer: raDer, signerCertDer: r.signerCertDer, signerKeyPem: r.k.privatePem, envelope });
  const res = await postPkiOperation(url, req.body);
  expect(res.status).toBe(200);
  return readCertRep(res.body, raDer, r.signerCertDer, r.k.privatePem);
}

function cert(der: Uint8Array): pkijs.Certificate {
  return pkijs.Certificate.fromBER(ab(der));
}

describe("the root key never touches a request", () => {
  it("the CA's key can only sign, and a request encrypted to the CA certificate is refused while the same request to the RA is issued", async () => {
    const ca = await getCa();
    expect(ca.privateKey.usages).toEqual(["sign"]);
    expect(ca.privateKey.algorithm.name).toBe("RSASSA-PKCS1-v1_5");
    const r = await requester("UDID-TO-CA");
    // Encrypted correctly to the CA: only the CA's private key could open it.
    const toCa = await send(r, encryptEnvelope(r.csrDer, ca.cert, AES_256_CBC));
    expect(toCa).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badMessageCheck" });
    const log = await testDb.client.enrollmentLog.findFirstOrThrow({ where: { step: "scep", outcome: "ERROR" }, orderBy: { time: "desc" } });
    expect(log.message).toMatch(/not addressed to this server's RA certificate/);
    const toRa = await send(r, encryptEnvelope(r.csrDer, cert((await getRa()).certDer), AES_256_CBC));
    expect(toRa.pkiStatus).toBe(PkiStatus.SUCCESS);
    expect(toRa.certDer).not.toBeNull();
  });
});

describe("PKCS#1 v1.5 key transport reveals nothing about the padding", () => {
  function withEncryptedKey(der: Uint8Array, encryptedKey: Uint8Array): Uint8Array {
    const ci = pkijs.ContentInfo.fromBER(ab(der));
    const env = new pkijs.EnvelopedData({ schema: ci.content });
    (env.recipientInfos[0].value as pkijs.KeyTransRecipientInfo).encryptedKey = new asn1js.OctetString({ valueHex: ab(encryptedKey) });
    return new Uint8Array(new pkijs.ContentInfo({ contentType: ci.contentType, content: env.toSchema() }).toSchema().toBER(false));
  }

  it("malformed paddings and well-formed ones with a wrong key get the same CertRep (status, failInfo, text) and the same log reason", async () => {
    const ra = await getRa();
    const raPublic = crypto.createPublicKey(ra.keyObject);
    const raw = (block: Buffer) => new Uint8Array(crypto.publicEncrypt({ key: raPublic, padding: crypto.constants.RSA_NO_PADDING }, block));
    const padded = (key: Buffer) => new Uint8Array(crypto.publicEncrypt({ key: raPublic, padding: crypto.constants.RSA_PKCS1_PADDING }, key));
    const notType2 = Buffer.alloc(256, 0x41);
    notType2[0] = 0;
    const noSeparator = Buffer.alloc(256, 0x42);
    noSeparator[0] = 0;
    noSeparator[1] = 2;
    const shortPadding = Buffer.alloc(256, 0x43);
    shortPadding[0] = 0;
    shortPadding[1] = 2;
    shortPadding[5] = 0; // separator after 3 padding bytes: fewer than the 8 RFC 8017 requires
    const blocks: Record<string, Uint8Array> = {
      "not block type 2": raw(notType2),
      "no zero separator": raw(noSeparator),
      "padding too short": raw(shortPadding),
      "valid padding, key of the wrong length": padded(crypto.randomBytes(16)),
      "valid padding, wrong key": padded(crypto.randomBytes(32)),
    };
    const r = await requester("UDID-ORACLE");
    const good = encryptEnvelope(r.csrDer, cert(ra.certDer), AES_256_CBC);
    const answers: Record<string, string> = {};
    const reasons = new Set<string | null>();
    for (const [name, block] of Object.entries(blocks)) {
      const rep = await send(r, withEncryptedKey(good, block));
      answers[name] = JSON.stringify({ status: rep.pkiStatus, failInfo: rep.failInfo, text: rep.failInfoText, cert: rep.certDer !== null });
      reasons.add((await testDb.client.enrollmentLog.findFirstOrThrow({ where: { step: "scep", outcome: "ERROR" }, orderBy: { time: "desc" } })).reason);
    }
    const distinct = new Set(Object.values(answers));
    expect(distinct.size, JSON.stringify(answers, null, 1)).toBe(1);
    expect(JSON.parse([...distinct][0])).toMatchObject({ status: PkiStatus.FAILURE, failInfo: "badMessageCheck", cert: false });
    expect([...reasons]).toEqual(["scep_bad_message"]);
    // And the untouched envelope is issued: the difference is the key, nothing else.
    expect((await send(r, good)).pkiStatus).toBe(PkiStatus.SUCCESS);
  });
});

describe("RA rotation", () => {
  it("an RA within 30 days of its end is re-issued; requests addressed to the replaced RA still open until it ends", async () => {
    const ca = await getCa();
    // Put an RA that ends in 10 days in place of the current one.
    const keys = await generateRsaKeyPair(2048);
    const old = await buildCertificate(
      {
        subject: nameFromString("CN=Old RA,O=Open Enroll"),
        issuer: ca.cert.subject,
        publicKeyInfo: publicKeyInfoFromPem(keys.publicPem),
        notBefore: new Date(Date.now() - 86_400_000),
        notAfter: new Date(Date.now() + 10 * 86_400_000),
        keyUsageBits: [KU.digitalSignature, KU.keyEncipherment],
        issuerKeyId: subjectKeyId(ca.cert),
      },
      ca.privateKey,
    );
    const oldDer = certificateDer(old);
    await putServerKey(RA_KEY_NAME, { algorithm: "RSA-2048", publicPem: keys.publicPem, privatePem: keys.privatePem, certPem: toPem(oldDer, "CERTIFICATE") });

    const current = await getRa();
    expect(Buffer.from(current.certDer).equals(Buffer.from(oldDer))).toBe(false);
    const days = (current.cert.notAfter.value.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(360);
    expect(days).toBeLessThanOrEqual(365);
    // GetCACert hands out the new RA.
    expect(Buffer.from((await getScepCerts(url)).raDer).equals(Buffer.from(current.certDer))).toBe(true);

    // A client that fetched GetCACert before the rotation encrypted to the old RA.
    const r = await requester("UDID-ROTATED");
    expect((await send(r, encryptEnvelope(r.csrDer, old, AES_256_CBC))).pkiStatus).toBe(PkiStatus.SUCCESS);
    const r2 = await requester("UDID-NEW-RA");
    expect((await send(r2, encryptEnvelope(r2.csrDer, current.cert, AES_256_CBC))).pkiStatus).toBe(PkiStatus.SUCCESS);
  });
});
