// Read side of the Settings page: URLs devices use, the CA, push, and admin sign-in.
import crypto from "node:crypto";
import { allowListFromEnv } from "../auth/oidcAdmins";
import { config } from "../config";
import { checkInUrl, serverUrl } from "../settings/mdmEndpoints";
import { getCa } from "../pki/ca";
import { getRa } from "../pki/ra";
import { badRequest } from "../errors";
import { CaImportError, importCa } from "../pki/ca";
import { recordCaDecision } from "./checklist";

export interface CaInfo {
  subject: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint: string;
  keyBits: number | null;
  /** The root above an imported subordinate (what devices install); null when the CA is the root. */
  rootSubject: string | null;
  /** The SCEP RA: decrypts requests and signs CertReps; re-issued automatically. */
  ra: { subject: string; notAfter: Date };
}

function subjectOf(cert: crypto.X509Certificate): string {
  return cert.subject.replace(/\n/g, ", ");
}

export async function caInfo(): Promise<CaInfo> {
  const ca = await getCa();
  const cert = new crypto.X509Certificate(ca.certPem);
  const ra = new crypto.X509Certificate(Buffer.from((await getRa()).certDer));
  return {
    subject: subjectOf(cert),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    fingerprint: cert.fingerprint256,
    keyBits: cert.publicKey.asymmetricKeyDetails?.modulusLength ?? null,
    rootSubject: ca.chainDer.length ? subjectOf(new crypto.X509Certificate(Buffer.from(ca.rootDer))) : null,
    ra: { subject: subjectOf(ra), notAfter: new Date(ra.validTo) },
  };
}

/** importCa with its refusals as 400s the portal can show. */
export async function importCaFromPem(certPem: string, keyPem: string): Promise<CaInfo> {
  try {
    await importCa(certPem, keyPem);
  } catch (err) {
    if (err instanceof CaImportError) throw badRequest("invalid_ca", `The CA was not imported: ${err.message}.`);
    throw err;
  }
  await recordCaDecision("imported");
  return caInfo();
}

export function serverUrls() {
  const publicUrl = config().publicUrl;
  return { publicUrl, checkInUrl: checkInUrl(), serverUrl: serverUrl(), caUrl: `${publicUrl}/ca`, enrollUrl: `${publicUrl}/enroll` };
}

export function adminSignInSettings() {
  const cfg = config();
  const allow = allowListFromEnv();
  return {
    oidc: cfg.adminOidc ? { name: cfg.adminOidc.name, issuer: cfg.adminOidc.issuer, clientId: cfg.adminOidc.clientId } : null,
    callbackUrl: `${cfg.publicUrl}/api/auth/callback/oidc`,
    groupsClaim: process.env.OIDC_GROUPS_CLAIM ?? "groups",
    scope: process.env.OIDC_SCOPE ?? "openid email profile",
    ...allow,
  };
}
