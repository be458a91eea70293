// Read side of the Settings page: URLs devices use, the CA, push, and admin sign-in.
import crypto from "node:crypto";
import { allowListFromEnv } from "../auth/oidcAdmins";
import { config } from "../config";
import { checkInUrl, serverUrl } from "../mdm/endpoints";
import { getCa } from "../pki/ca";
import { badRequest } from "../errors";
import { CaImportError, importCa } from "../pki/ca";

export interface CaInfo {
  subject: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint: string;
  keyBits: number | null;
}

export async function caInfo(): Promise<CaInfo> {
  const ca = await getCa();
  const cert = new crypto.X509Certificate(ca.certPem);
  return {
    subject: cert.subject.replace(/\n/g, ", "),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    fingerprint: cert.fingerprint256,
    keyBits: cert.publicKey.asymmetricKeyDetails?.modulusLength ?? null,
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
