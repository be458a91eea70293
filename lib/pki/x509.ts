// Building X.509 v3 certificates with pkijs: the extensions our CA puts in, and small
// readers for the ones we check (basicConstraints, keyUsage).
import crypto from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { ab, algorithmIdentifierDer, derExtension, derSmallInteger, derTime, derTlv, oidDer, randomSerial } from "./der";
import { nodeSigningKey, sha256SignatureOid, spkiDer } from "./keys";

/** X.509 KeyUsage bits (RFC 5280 4.2.1.3), numbered as in the BIT STRING. */
export const KU = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

export const EKU = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
} as const;

export interface CertificateTemplate {
  subject: pkijs.RelativeDistinguishedNames;
  issuer: pkijs.RelativeDistinguishedNames;
  publicKeyInfo: pkijs.PublicKeyInfo;
  notBefore: Date;
  notAfter: Date;
  keyUsageBits: number[];
  ca?: boolean;
  extKeyUsage?: string[];
  /** SubjectKeyIdentifier of the issuer, for the AuthorityKeyIdentifier extension. */
  issuerKeyId?: Uint8Array | null;
  serial?: Uint8Array;
  /** Further extensions, already encoded (CRL distribution points, authority info access, OCSP no-check). */
  moreExtensions?: { oid: string; critical?: boolean; value: Uint8Array }[];
}

function keyUsageBitString(bits: number[]): asn1js.BitString {
  let value = 0;
  for (const b of bits) value |= 1 << (15 - b);
  const bytes = value & 0xff ? [value >> 8, value & 0xff] : [value >> 8];
  const last = bytes[bytes.length - 1];
  let unused = 0;
  while (unused < 7 && last !== 0 && !(last & (1 << unused))) unused++;
  return new asn1js.BitString({ valueHex: new Uint8Array(bytes).buffer, unusedBits: unused });
}

/** SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1). */
export function keyIdentifier(info: pkijs.PublicKeyInfo): Uint8Array {
  return new Uint8Array(crypto.createHash("sha1").update(info.subjectPublicKey.valueBlock.valueHexView).digest());
}

function time(date: Date): pkijs.Time {
  // UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5).
  return new pkijs.Time({ type: date.getUTCFullYear() >= 2050 ? 1 : 0, value: date });
}

export async function buildCertificate(t: CertificateTemplate, signingKey: CryptoKey): Promise<pkijs.Certificate> {
  return (await signCertificate(t, signingKey)).cert;
}

/** DER of a pkijs structure that does not change between certificates (the CA's name), encoded once. */
const encodedOnce = new WeakMap<object, Uint8Array>();
function derOf(value: { toSchema(): asn1js.AsnType }): Uint8Array {
  let der = encodedOnce.get(value);
  if (!der) {
    der = new Uint8Array(value.toSchema().toBER(false));
    encodedOnce.set(value, der);
  }
  return der;
}

/**
 * A certificate from the template, signed with SHA-256, and its DER. The TBSCertificate is
 * assembled from DER parts (asn1js's encoder of the whole tree cost a quarter of a SCEP
 * enrollment); node:crypto signs it (pkijs's own sign would go through WebCrypto and drop
 * the NULL parameter RFC 4055 requires). The pkijs object describes the same certificate.
 */
export async function signCertificate(t: CertificateTemplate, signingKey: CryptoKey): Promise<{ cert: pkijs.Certificate; der: Uint8Array }> {
  const serial = t.serial ?? randomSerial();
  const ext: { oid: string; critical: boolean; value: Uint8Array }[] = [
    // BasicConstraints: cA FALSE is the DEFAULT, so left out (an empty SEQUENCE).
    { oid: "2.5.29.19", critical: true, value: t.ca ? derTlv(0x30, new Uint8Array([0x01, 0x01, 0xff])) : derTlv(0x30) },
    { oid: "2.5.29.15", critical: true, value: new Uint8Array(keyUsageBitString(t.keyUsageBits).toBER(false)) },
    { oid: "2.5.29.14", critical: false, value: derTlv(0x04, keyIdentifier(t.publicKeyInfo)) },
  ];
  // AuthorityKeyIdentifier: SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }.
  if (t.issuerKeyId) ext.push({ oid: "2.5.29.35", critical: false, value: derTlv(0x30, derTlv(0x80, t.issuerKeyId)) });
  if (t.extKeyUsage?.length) ext.push({ oid: "2.5.29.37", critical: false, value: derTlv(0x30, ...t.extKeyUsage.map(oidDer)) });
  for (const e of t.moreExtensions ?? []) ext.push({ oid: e.oid, critical: Boolean(e.critical), value: e.value });
  const algorithmDer = algorithmIdentifierDer(sha256SignatureOid(signingKey));
  const tbs = derTlv(
    0x30,
    derTlv(0xa0, derSmallInteger(2)),
    derTlv(0x02, serial),
    algorithmDer,
    derOf(t.issuer),
    derTlv(0x30, derTime(t.notBefore), derTime(t.notAfter)),
    derOf(t.subject),
    spkiDer(t.publicKeyInfo),
    derTlv(0xa3, derTlv(0x30, ...ext.map((e) => derExtension(e.oid, e.value, e.critical)))),
  );
  const signature = crypto.sign("sha256", tbs, nodeSigningKey(signingKey));
  const der = derTlv(0x30, tbs, algorithmDer, derTlv(0x03, new Uint8Array([0]), signature));

  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: ab(serial) });
  cert.issuer = t.issuer;
  cert.subject = t.subject;
  cert.notBefore = time(t.notBefore);
  cert.notAfter = time(t.notAfter);
  cert.subjectPublicKeyInfo = t.publicKeyInfo;
  cert.extensions = ext.map((e) => new pkijs.Extension({ extnID: e.oid, critical: e.critical, extnValue: ab(e.value) }));
  const algorithm = pkijs.AlgorithmIdentifier.fromBER(ab(algorithmDer));
  cert.signature = algorithm;
  cert.signatureAlgorithm = algorithm;
  cert.tbsView = tbs;
  cert.signatureValue = new asn1js.BitString({ valueHex: ab(new Uint8Array(signature)) });
  return { cert, der };
}

function extension(cert: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

export function isCaCertificate(cert: pkijs.Certificate): boolean {
  const ext = extension(cert, "2.5.29.19");
  return Boolean(ext && ext.parsedValue instanceof pkijs.BasicConstraints && ext.parsedValue.cA);
}

/** The KeyUsage bits set in the certificate, or null when it has no keyUsage extension. */
export function keyUsageBits(cert: pkijs.Certificate): number[] | null {
  const ext = extension(cert, "2.5.29.15");
  if (!ext) return null;
  const bs = ext.parsedValue as asn1js.BitString | undefined;
  const bytes = bs ? new Uint8Array(bs.valueBlock.valueHexView) : new Uint8Array(0);
  const out: number[] = [];
  for (let i = 0; i < bytes.length * 8; i++) if (bytes[i >> 3] & (0x80 >> (i & 7))) out.push(i);
  return out;
}

export function subjectKeyId(cert: pkijs.Certificate): Uint8Array | null {
  const ext = extension(cert, "2.5.29.14");
  const os = ext?.parsedValue as asn1js.OctetString | undefined;
  return os ? new Uint8Array(os.valueBlock.valueHexView) : null;
}

export function certificateDer(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(cert.toSchema().toBER(false));
}

/** Checks the certificate's signature with the issuer's public key (no chain or date checks). */
export async function isSignedBy(cert: pkijs.Certificate, issuer: pkijs.Certificate): Promise<boolean> {
  try {
    return await cert.verify(issuer);
  } catch {
    return false;
  }
}
