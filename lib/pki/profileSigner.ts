// The key that signs .mobileconfig files: a leaf certificate issued by our CA, so a
// device that trusts the root shows the profile as "Verified". Re-issued automatically
// when the CA changes (import) or the certificate nears its end.
import * as pkijs from "pkijs";
import { getOrCreateServerKey, loadServerKey, putServerKey, type NewServerKey } from "../secrets/serverKeys";
import { getCa, type CaBundle } from "./ca";
import type { Signer } from "./cms";
import { ab, fromPem, toPem } from "./der";
import { generateRsaKeyPair, importSigningKey, publicKeyInfoFromPem } from "./keys";
import { nameFromString } from "./names";
import { buildCertificate, certificateDer, EKU, isSignedBy, KU, subjectKeyId } from "./x509";

export type { Signer } from "./cms";

export const PROFILE_SIGNER_KEY_NAME = "profile-signer";
const VALID_DAYS = 825;
const RENEW_BEFORE_DAYS = 30;

let cached: { certPem: string; caPem: string; signer: Signer } | null = null;

async function issueSigner(ca: CaBundle): Promise<NewServerKey> {
  const keys = await generateRsaKeyPair(2048);
  const now = Date.now();
  const cert = await buildCertificate(
    {
      subject: nameFromString("CN=Open Enroll Profile Signing,O=Open Enroll"),
      issuer: ca.cert.subject,
      publicKeyInfo: publicKeyInfoFromPem(keys.publicPem),
      notBefore: new Date(now - 5 * 60_000),
      notAfter: new Date(Math.min(now + VALID_DAYS * 86_400_000, ca.cert.notAfter.value.getTime())),
      keyUsageBits: [KU.digitalSignature],
      extKeyUsage: [EKU.codeSigning, EKU.emailProtection],
      issuerKeyId: subjectKeyId(ca.cert),
    },
    ca.privateKey,
  );
  return { algorithm: "RSA-2048", publicPem: keys.publicPem, privatePem: keys.privatePem, certPem: toPem(certificateDer(cert), "CERTIFICATE") };
}

async function stillGood(certPem: string | null, ca: CaBundle): Promise<boolean> {
  if (!certPem) return false;
  const cert = pkijs.Certificate.fromBER(ab(fromPem(certPem, ["CERTIFICATE"])));
  if (cert.notAfter.value.getTime() - Date.now() < RENEW_BEFORE_DAYS * 86_400_000) return false;
  return cert.issuer.isEqual(ca.cert.subject) && (await isSignedBy(cert, ca.cert));
}

export async function getProfileSigner(): Promise<Signer> {
  const ca = await getCa();
  if (cached && cached.caPem === ca.certPem) {
    const existing = await loadServerKey(PROFILE_SIGNER_KEY_NAME);
    if (existing?.certPem === cached.certPem) return cached.signer;
  }
  let material = await getOrCreateServerKey(PROFILE_SIGNER_KEY_NAME, () => issueSigner(ca));
  if (!(await stillGood(material.certPem, ca))) {
    material = await putServerKey(PROFILE_SIGNER_KEY_NAME, await issueSigner(ca));
  }
  const certPem = material.certPem!;
  const signer: Signer = {
    certDer: fromPem(certPem, ["CERTIFICATE"]),
    chainDer: [ca.certDer],
    privateKey: await importSigningKey(material.privatePem),
  };
  cached = { certPem, caPem: ca.certPem, signer };
  return signer;
}
