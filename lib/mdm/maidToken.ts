// Managed Apple Account access management: the GetToken check-in with TokenServiceType
// com.apple.maid (iOS/iPadOS 17+, macOS 14+, visionOS 1.1+). Apple ("Get Token"): the Apple
// Identity Service asks for this token when a Managed Apple Account signs in, to verify that the
// account belongs to the same organisation as the MDM server that enrolled the device. The
// token is a JWT (RFC 7519) with iss = the server_uuid Apple Business/School Manager gives this
// MDM server, iat, jti (a random UUID, single use) and service_type = "com.apple.maid", signed
// with the private key of the public-key certificate registered for the server in Apple
// Business/School Manager. That certificate is ours (self-signed RSA, created on first use),
// published for the admin to upload; the server UUID is entered in Settings.
import crypto from "node:crypto";
import { importPKCS8, SignJWT } from "jose";
import { AppError } from "../errors";
import { toPem } from "../pki/der";
import { generateRsaKeyPair, importSigningKey, publicKeyInfoFromPem } from "../pki/keys";
import { nameFromString } from "../pki/names";
import { KU, signCertificate } from "../pki/x509";
import { getOrCreateServerKey } from "../secrets/serverKeys";
import { readSetting, writeSetting } from "../settings/store";

export const MAID_SERVICE_TYPE = "com.apple.maid";
export const MAID_KEY_NAME = "maid-signer";
const SERVER_UUID_SETTING = "maid.serverUuid";
const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
/** Apple Business Manager keeps the certificate until the admin replaces it: long-lived, never renewed behind the admin's back. */
const CERT_YEARS = 10;

async function createSigner() {
  const keys = await generateRsaKeyPair(2048);
  const subject = nameFromString("CN=Open Enroll MDM Server (Managed Apple Account access),O=Open Enroll");
  const now = Date.now();
  const { der } = await signCertificate(
    {
      subject,
      issuer: subject,
      publicKeyInfo: publicKeyInfoFromPem(keys.publicPem),
      notBefore: new Date(now - 5 * 60_000),
      notAfter: new Date(now + CERT_YEARS * 365 * 86_400_000),
      keyUsageBits: [KU.digitalSignature],
    },
    await importSigningKey(keys.privatePem),
  );
  return { algorithm: "RSA-2048", publicPem: keys.publicPem, privatePem: keys.privatePem, certPem: toPem(der, "CERTIFICATE") };
}

/** The certificate to upload to Apple Business/School Manager for this MDM server (PEM). */
export async function maidCertificatePem(): Promise<string> {
  const key = await getOrCreateServerKey(MAID_KEY_NAME, createSigner);
  if (!key.certPem) throw new Error("the Managed Apple Account signing key has no certificate");
  return key.certPem;
}

export async function maidServerUuid(): Promise<string | null> {
  const v = await readSetting(SERVER_UUID_SETTING);
  return typeof v === "string" && UUID.test(v) ? v : null;
}

/** Settings › Managed Apple Accounts: the server_uuid Apple Business/School Manager shows for this MDM server. */
export async function setMaidServerUuid(raw: unknown): Promise<string | null> {
  if (raw === null || raw === "") {
    await writeSetting(SERVER_UUID_SETTING, null);
    return null;
  }
  if (typeof raw !== "string" || !UUID.test(raw.trim())) throw new AppError(400, "invalid_server_uuid", "serverUuid must be the UUID Apple Business or School Manager shows for this MDM server");
  const v = raw.trim().toUpperCase();
  await writeSetting(SERVER_UUID_SETTING, v);
  return v;
}

export type MaidToken = { ok: true; jwt: string; jti: string } | { ok: false; why: string };

/** The signed token for a GetToken com.apple.maid, or why none can be made. */
export async function maidToken(now: Date = new Date()): Promise<MaidToken> {
  const serverUuid = await maidServerUuid();
  if (!serverUuid) return { ok: false, why: "no server UUID is configured (Settings › Managed Apple Accounts: enter the UUID Apple Business Manager shows for this MDM server)" };
  const key = await getOrCreateServerKey(MAID_KEY_NAME, createSigner);
  const jti = crypto.randomUUID().toUpperCase();
  const jwt = await new SignJWT({ service_type: MAID_SERVICE_TYPE })
    .setProtectedHeader({ alg: "RS256", typ: "JWT" })
    .setIssuer(serverUuid)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setJti(jti)
    .sign(await importPKCS8(key.privatePem, "RS256"));
  return { ok: true, jwt, jti };
}
