// A SCEP client built on pkijs, for tests, benches and the device simulator: GetCACert,
// PKCSReq with a challenge, RenewalReq signed with the old certificate. It speaks HTTP to
// a real server and checks the CertRep's signature against the CA it was given.
import crypto from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { ab, toPem } from "@/lib/pki/der";
import { signData, verifyParsed, parseSignedData } from "@/lib/pki/cms";
import { importSigningKey, publicKeyInfoFromPem } from "@/lib/pki/keys";
import { nameFromString } from "@/lib/pki/names";
import { buildCertificate, certificateDer, KU } from "@/lib/pki/x509";
import { decryptEnvelope, encryptEnvelope, AES_256_CBC } from "@/lib/scep/envelope";
import { FailInfo, MessageType, PkiStatus, SCEP_OID } from "@/lib/scep/message";

export interface ScepEnrollOptions {
  /** The SCEP URL (…/scep/<profileId>); "?operation=" is appended. */
  url: string;
  challenge?: string | null;
  /** "CN=…,O=…" */
  subject: string;
  keySize?: number;
  /** Content-encryption OID for the request (default AES-256-CBC). */
  cipherOid?: string;
}

export interface ScepIdentity {
  certDer: Uint8Array;
  certPem: string;
  /** RSASSA-PKCS1-v1_5 SHA-256 signing key (for Mdm-Signature, CMS). */
  privateKey: CryptoKey;
  privateKeyPem: string;
  caCertDer: Uint8Array;
}

export class ScepClientError extends Error {
  constructor(
    message: string,
    readonly pkiStatus: string | null,
    readonly failInfo: keyof typeof FailInfo | null,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = "ScepClientError";
  }
}

export interface ScepServerCerts {
  /** The RA: requests are encrypted to it, CertReps are signed by it. */
  raDer: Uint8Array;
  /** The issuing CA (the RA's issuer). */
  caDer: Uint8Array;
  /** Every certificate GetCACert returned, in order. */
  all: Uint8Array[];
}

function keyUsage(cert: pkijs.Certificate): { sign: boolean; encipher: boolean; ca: boolean } {
  const ku = cert.extensions?.find((e) => e.extnID === "2.5.29.15")?.parsedValue as asn1js.BitString | undefined;
  const bits = ku ? new Uint8Array(ku.valueBlock.valueHexView) : new Uint8Array(0);
  const bc = cert.extensions?.find((e) => e.extnID === "2.5.29.19")?.parsedValue as pkijs.BasicConstraints | undefined;
  return { sign: Boolean(bits[0] & 0x80), encipher: Boolean(bits[0] & 0x20), ca: Boolean(bc?.cA) };
}

/**
 * GetCACert as Apple's SCEP client reads an RA response (application/x-x509-ca-ra-cert): the
 * RA is the first non-CA certificate that can both sign and encipher, the CA its issuer.
 */
export async function getScepCerts(url: string): Promise<ScepServerCerts> {
  const res = await fetch(`${url}?operation=GetCACert`);
  if (res.status !== 200) throw new ScepClientError(`GetCACert: HTTP ${res.status}`, null, null, res.status);
  const type = res.headers.get("content-type");
  if (type !== "application/x-x509-ca-ra-cert") throw new ScepClientError(`GetCACert: content type ${type}, expected an RA bundle`, null, null, res.status);
  const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(ab(new Uint8Array(await res.arrayBuffer()))).content });
  const certs = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const ra = certs.find((c) => {
    const u = keyUsage(c);
    return !u.ca && u.sign && u.encipher;
  });
  if (!ra) throw new ScepClientError("GetCACert: no RA certificate (digitalSignature + keyEncipherment) in the bundle", null, null, res.status);
  const ca = certs.find((c) => c !== ra && c.subject.isEqual(ra.issuer));
  if (!ca) throw new ScepClientError("GetCACert: the RA's issuer is not in the bundle", null, null, res.status);
  return { raDer: certificateDer(ra), caDer: certificateDer(ca), all: certs.map((c) => certificateDer(c)) };
}

function rsaKeyPair(bits: number): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", {
    modulusLength: bits,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

export async function buildCsr(subject: string, privatePem: string, publicPem: string, challenge?: string | null): Promise<Uint8Array> {
  const csr = new pkijs.CertificationRequest();
  csr.version = 0;
  csr.subject = nameFromString(subject);
  csr.subjectPublicKeyInfo = publicKeyInfoFromPem(publicPem);
  csr.attributes = [];
  if (challenge) {
    csr.attributes.push(new pkijs.Attribute({ type: "1.2.840.113549.1.9.7", values: [new asn1js.PrintableString({ value: challenge })] }));
  }
  await csr.sign(await importSigningKey(privatePem), "SHA-256");
  return new Uint8Array(csr.toSchema().toBER(false));
}

/** The throw-away self-signed certificate a first-time requester signs with (RFC 8894 2.3). */
export async function selfSigned(subject: string, privatePem: string, publicPem: string): Promise<Uint8Array> {
  const name = nameFromString(subject);
  const cert = await buildCertificate(
    {
      subject: name,
      issuer: nameFromString(subject),
      publicKeyInfo: publicKeyInfoFromPem(publicPem),
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keyUsageBits: [KU.digitalSignature, KU.keyEncipherment],
    },
    await importSigningKey(privatePem),
  );
  return certificateDer(cert);
}

export interface BuiltRequest {
  body: Uint8Array;
  transactionId: string;
  senderNonce: Uint8Array;
}

/** A complete PKIMessage: CSR enveloped to the recipient (the RA), signed with signerCert/signerKeyPem. */
export async function buildPkiMessage(opts: {
  csrDer: Uint8Array;
  recipientCertDer: Uint8Array;
  signerCertDer: Uint8Array;
  signerKeyPem: string;
  messageType?: string;
  cipherOid?: string;
  transactionId?: string;
  /** A ready pkcsPKIEnvelope (tests that tamper with it); csrDer and recipientCertDer are then not used. */
  envelope?: Uint8Array;
}): Promise<BuiltRequest> {
  const envelope = opts.envelope ?? encryptEnvelope(opts.csrDer, pkijs.Certificate.fromBER(ab(opts.recipientCertDer)), opts.cipherOid ?? AES_256_CBC);
  const transactionId = opts.transactionId ?? crypto.createHash("sha256").update(crypto.randomBytes(16)).digest("hex");
  const senderNonce = new Uint8Array(crypto.randomBytes(16));
  const attributes = [
    new pkijs.Attribute({ type: SCEP_OID.messageType, values: [new asn1js.PrintableString({ value: opts.messageType ?? MessageType.PKCSReq })] }),
    new pkijs.Attribute({ type: SCEP_OID.transactionID, values: [new asn1js.PrintableString({ value: transactionId })] }),
    new pkijs.Attribute({ type: SCEP_OID.senderNonce, values: [new asn1js.OctetString({ valueHex: ab(senderNonce) })] }),
  ];
  const body = await signData(envelope, { certDer: opts.signerCertDer, chainDer: [], privateKey: await importSigningKey(opts.signerKeyPem) }, { attributes });
  return { body, transactionId, senderNonce };
}

export interface CertRepResult {
  pkiStatus: string;
  failInfo: keyof typeof FailInfo | null;
  failInfoText: string | null;
  transactionId: string | null;
  recipientNonce: Uint8Array | null;
  certDer: Uint8Array | null;
}

function attrString(si: pkijs.SignerInfo, oid: string): string | null {
  const v = si.signedAttrs?.attributes.find((a) => a.type === oid)?.values[0] as { valueBlock?: { value?: unknown } } | undefined;
  return typeof v?.valueBlock?.value === "string" ? v.valueBlock.value : null;
}

/** Verifies the CertRep was signed by the RA and opens it with the requester's key. */
export function readCertRep(der: Uint8Array, raCertDer: Uint8Array, recipientCertDer: Uint8Array, recipientKeyPem: string): CertRepResult {
  const parsed = parseSignedData(der);
  if (!Buffer.from(certificateDer(parsed.signerCert)).equals(Buffer.from(raCertDer))) throw new Error("CertRep is not signed by the RA certificate");
  verifyParsed(parsed, parsed.eContent ?? new Uint8Array(0));
  const si = parsed.signerInfo;
  if (attrString(si, SCEP_OID.messageType) !== MessageType.CertRep) throw new Error("not a CertRep");
  const pkiStatus = attrString(si, SCEP_OID.pkiStatus) ?? "";
  const failCode = attrString(si, SCEP_OID.failInfo);
  const failInfo = failCode === null ? null : ((Object.entries(FailInfo).find(([, v]) => v === failCode)?.[0] ?? null) as keyof typeof FailInfo | null);
  const rn = si.signedAttrs?.attributes.find((a) => a.type === SCEP_OID.recipientNonce)?.values[0];
  const recipientNonce = rn instanceof asn1js.OctetString ? new Uint8Array(rn.valueBlock.valueHexView) : null;
  let certDer: Uint8Array | null = null;
  if (pkiStatus === PkiStatus.SUCCESS) {
    if (!parsed.eContent?.length) throw new Error("SUCCESS CertRep without envelope");
    const recipient = pkijs.Certificate.fromBER(ab(recipientCertDer));
    const { content } = decryptEnvelope(parsed.eContent, [{ cert: recipient, key: crypto.createPrivateKey(recipientKeyPem) }]);
    const certsOnly = pkijs.ContentInfo.fromBER(ab(content));
    const sd = new pkijs.SignedData({ schema: certsOnly.content });
    const first = sd.certificates?.[0];
    if (!(first instanceof pkijs.Certificate)) throw new Error("no certificate in the CertRep");
    certDer = certificateDer(first);
  }
  const failInfoText = attrString(si, SCEP_OID.failInfoText);
  return { pkiStatus, failInfo, failInfoText, transactionId: attrString(si, SCEP_OID.transactionID), recipientNonce, certDer };
}

export async function postPkiOperation(url: string, body: Uint8Array): Promise<{ status: number; body: Uint8Array }> {
  const res = await fetch(`${url}?operation=PKIOperation`, { method: "POST", body: Buffer.from(body), headers: { "content-type": "application/x-pki-message" } });
  return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
}

async function exchange(url: string, req: BuiltRequest, raCertDer: Uint8Array, signerCertDer: Uint8Array, signerKeyPem: string): Promise<Uint8Array> {
  const res = await postPkiOperation(url, req.body);
  if (res.status !== 200) throw new ScepClientError(`PKIOperation: HTTP ${res.status} ${Buffer.from(res.body).toString().slice(0, 200)}`, null, null, res.status);
  const rep = readCertRep(res.body, raCertDer, signerCertDer, signerKeyPem);
  if (rep.transactionId !== req.transactionId) throw new Error("CertRep transactionID does not match the request");
  if (!rep.recipientNonce || !Buffer.from(rep.recipientNonce).equals(Buffer.from(req.senderNonce))) throw new Error("CertRep recipientNonce does not match our senderNonce");
  if (rep.pkiStatus !== PkiStatus.SUCCESS || !rep.certDer) {
    throw new ScepClientError(`CertRep ${rep.pkiStatus === PkiStatus.FAILURE ? "FAILURE" : rep.pkiStatus} (${rep.failInfo ?? "?"}): ${rep.failInfoText ?? ""}`, rep.pkiStatus, rep.failInfo, 200);
  }
  return rep.certDer;
}

async function identity(certDer: Uint8Array, privatePem: string, caCertDer: Uint8Array): Promise<ScepIdentity> {
  return { certDer, certPem: toPem(certDer, "CERTIFICATE"), privateKey: await importSigningKey(privatePem), privateKeyPem: privatePem, caCertDer };
}

/** First enrollment: PKCSReq with the challenge, signed with a self-signed certificate. */
export async function scepEnroll(opts: ScepEnrollOptions): Promise<ScepIdentity> {
  const server = await getScepCerts(opts.url);
  const keys = rsaKeyPair(opts.keySize ?? 2048);
  const csrDer = await buildCsr(opts.subject, keys.privatePem, keys.publicPem, opts.challenge);
  const signerCertDer = await selfSigned(opts.subject, keys.privatePem, keys.publicPem);
  const req = await buildPkiMessage({ csrDer, recipientCertDer: server.raDer, signerCertDer, signerKeyPem: keys.privatePem, cipherOid: opts.cipherOid });
  const certDer = await exchange(opts.url, req, server.raDer, signerCertDer, keys.privatePem);
  return identity(certDer, keys.privatePem, server.caDer);
}

/** Renewal: RenewalReq for a new key (or the same one), signed with the current certificate and key. */
export async function scepRenew(opts: {
  url: string;
  current: { certDer: Uint8Array; privateKeyPem: string };
  subject: string;
  keySize?: number;
  /** Keep the old key pair instead of generating a new one. */
  reuseKey?: boolean;
  challenge?: string | null;
  messageType?: string;
}): Promise<ScepIdentity> {
  const server = await getScepCerts(opts.url);
  const privatePem = opts.reuseKey ? opts.current.privateKeyPem : rsaKeyPair(opts.keySize ?? 2048).privatePem;
  const publicPem = crypto.createPublicKey(privatePem).export({ type: "spki", format: "pem" }).toString();
  const csrDer = await buildCsr(opts.subject, privatePem, publicPem, opts.challenge);
  const req = await buildPkiMessage({
    csrDer,
    recipientCertDer: server.raDer,
    signerCertDer: opts.current.certDer,
    signerKeyPem: opts.current.privateKeyPem,
    messageType: opts.messageType ?? MessageType.RenewalReq,
  });
  // The CertRep is encrypted to the certificate that signed the request: the old one.
  const certDer = await exchange(opts.url, req, server.raDer, opts.current.certDer, opts.current.privateKeyPem);
  return identity(certDer, privatePem, server.caDer);
}
