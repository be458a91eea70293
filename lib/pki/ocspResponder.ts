// The delegated OCSP responder (RFC 6960 4.2.2.2): a key of its own with a certificate the
// CA issues for id-kp-OCSPSigning and id-pkix-ocsp-nocheck, so the CA key signs nothing per
// request. Short-lived (nocheck certificates cannot themselves be revoked), rotated when a
// third of its life is left or the CA changed; the key is sealed at rest like every server key.
import * as pkijs from "pkijs";
import { getOrCreateServerKey, loadServerKey, putServerKey, type NewServerKey } from "../secrets/serverKeys";
import { getCa, type CaBundle } from "./ca";
import { ab, fromPem, toPem } from "./der";
import { generateRsaKeyPair, importSigningKey, publicKeyInfoFromPem } from "./keys";
import { nameFromString } from "./names";
import { buildCertificate, certificateDer, EKU, isSignedBy, KU, subjectKeyId } from "./x509";

export const OCSP_RESPONDER_KEY_NAME = "ocsp-responder";
export const OCSP_RESPONDER_VALID_DAYS = 30;
const RENEW_BEFORE_DAYS = 10;
const DAY_MS = 86_400_000;

export interface OcspResponder {
  certDer: Uint8Array;
  cert: pkijs.Certificate;
  privateKey: CryptoKey;
}

let cached: { certPem: string; caPem: string; responder: OcspResponder } | null = null;

async function issueResponder(ca: CaBundle): Promise<NewServerKey> {
  const keys = await generateRsaKeyPair(2048);
  const now = Date.now();
  const cert = await buildCertificate(
    {
      subject: nameFromString("CN=Open Enroll OCSP Responder,O=Open Enroll"),
      issuer: ca.cert.subject,
      publicKeyInfo: publicKeyInfoFromPem(keys.publicPem),
      notBefore: new Date(now - 5 * 60_000),
      notAfter: new Date(Math.min(now + OCSP_RESPONDER_VALID_DAYS * DAY_MS, ca.cert.notAfter.value.getTime())),
      keyUsageBits: [KU.digitalSignature],
      extKeyUsage: [EKU.ocspSigning],
      issuerKeyId: subjectKeyId(ca.cert),
      // id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1): clients trust it for its lifetime without asking about it.
      moreExtensions: [{ oid: "1.3.6.1.5.5.7.48.1.5", value: new Uint8Array([0x05, 0x00]) }],
    },
    ca.privateKey,
  );
  return { algorithm: "RSA-2048", publicPem: keys.publicPem, privatePem: keys.privatePem, certPem: toPem(certificateDer(cert), "CERTIFICATE") };
}

async function stillGood(certPem: string | null, ca: CaBundle, now: number): Promise<boolean> {
  if (!certPem) return false;
  const cert = pkijs.Certificate.fromBER(ab(fromPem(certPem, ["CERTIFICATE"])));
  if (cert.notAfter.value.getTime() - now < RENEW_BEFORE_DAYS * DAY_MS) return false;
  return cert.issuer.isEqual(ca.cert.subject) && (await isSignedBy(cert, ca.cert));
}

/** The current responder, issued or rotated as needed (`now` lets tests look ahead). */
export async function getOcspResponder(now = Date.now()): Promise<OcspResponder> {
  const ca = await getCa();
  if (cached && cached.caPem === ca.certPem && (await loadServerKey(OCSP_RESPONDER_KEY_NAME))?.certPem === cached.certPem) {
    if (cached.responder.cert.notAfter.value.getTime() - now >= RENEW_BEFORE_DAYS * DAY_MS) return cached.responder;
  }
  let material = await getOrCreateServerKey(OCSP_RESPONDER_KEY_NAME, () => issueResponder(ca));
  if (!(await stillGood(material.certPem, ca, now))) material = await putServerKey(OCSP_RESPONDER_KEY_NAME, await issueResponder(ca));
  const certPem = material.certPem!;
  const certDer = fromPem(certPem, ["CERTIFICATE"]);
  const responder: OcspResponder = { certDer, cert: pkijs.Certificate.fromBER(ab(certDer)), privateKey: await importSigningKey(material.privatePem) };
  cached = { certPem, caPem: ca.certPem, responder };
  return responder;
}
