// Whether a device identity certificate (the signer of a Profile Service answer) was issued by
// Apple's iPhone Device CA. Apple says to ignore the validity dates of these certificates (the CA
// itself expired in 2014 and devices still carry it), so only the name and the signature count.
// The result is recorded, not required: Macs and future devices may sign with other certificates.
import { X509Certificate } from "node:crypto";
import { allFromPem } from "../pki/der";
import { certificateFields, readTlv } from "../pki/derReader";
import { APPLE_IPHONE_DEVICE_CA_PEM } from "./appleRoots";

interface Anchor {
  cert: X509Certificate;
  subject: Buffer;
}

let cache: { pem: string | undefined; anchors: Anchor[] } | null = null;

/**
 * Apple iPhone Device CA, or, when PROFILE_SERVICE_TEST_CA_PEM is set (PEM of one or more
 * certificates), those instead: for device stand-ins in tests and labs.
 */
export function appleDeviceCas(): Anchor[] {
  const pem = process.env.PROFILE_SERVICE_TEST_CA_PEM?.trim() || undefined;
  if (cache && cache.pem === pem) return cache.anchors;
  const anchors = allFromPem(pem ?? APPLE_IPHONE_DEVICE_CA_PEM, "CERTIFICATE").map((der) => ({
    cert: new X509Certificate(Buffer.from(der)),
    subject: Buffer.from(certificateFields(der, readTlv(der, 0)).subject),
  }));
  cache = { pem, anchors };
  return anchors;
}

/** True when the certificate names an Apple device CA as issuer and that CA's key verifies its signature. */
export function issuedByAppleDeviceCa(certDer: Uint8Array): boolean {
  try {
    const issuer = Buffer.from(certificateFields(certDer, readTlv(certDer, 0)).issuer);
    const cert = new X509Certificate(Buffer.from(certDer));
    return appleDeviceCas().some((a) => a.subject.equals(issuer) && cert.verify(a.cert.publicKey));
  } catch {
    return false;
  }
}
