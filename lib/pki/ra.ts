// The SCEP registration authority: an RSA key and certificate issued by the CA, with
// keyEncipherment (clients encrypt their requests to it) and digitalSignature (it signs
// CertReps). The CA's key never sees a client's bytes. Shorter-lived than the CA and
// re-issued before it ends (lib/pki/issuedKey); the replaced RA still opens requests
// encrypted to it until its own certificate ends.
import { config } from "../config";
import { getCa } from "./ca";
import { getIssuedKey, getPreviousIssuedKey, type IssuedKey, type IssuedKeySpec } from "./issuedKey";
import { KU } from "./x509";

export const RA_KEY_NAME = "scep-ra";
export const RA_VALID_DAYS = 365;
export const RA_RENEW_BEFORE_DAYS = 30;

function raSpec(): IssuedKeySpec {
  let host = "localhost";
  try {
    host = new URL(config().publicUrl).hostname;
  } catch {
    /* config validated elsewhere */
  }
  return {
    name: RA_KEY_NAME,
    subject: `CN=Open Enroll SCEP RA (${host.slice(0, 36)}),O=Open Enroll`,
    validDays: RA_VALID_DAYS,
    renewBeforeDays: RA_RENEW_BEFORE_DAYS,
    // Both bits in one certificate: Apple's SCEP client picks the RA that can sign and encrypt.
    keyUsageBits: [KU.digitalSignature, KU.keyEncipherment],
  };
}

export type Ra = IssuedKey;

export async function getRa(): Promise<Ra> {
  return getIssuedKey(raSpec());
}

/** The RA keys that may open a request: the current one, then the one it replaced. */
export async function raDecryptionKeys(): Promise<Ra[]> {
  const current = await getRa();
  const previous = await getPreviousIssuedKey(RA_KEY_NAME);
  return previous ? [current, previous] : [current];
}

/**
 * GetCACert's certificates (RFC 8894 4.2.1.2): the RA first (Apple's client takes the first
 * certificate that can sign and encrypt), then the CA and its chain up to the root.
 */
export async function getCaCertBundle(): Promise<Uint8Array[]> {
  const ca = await getCa();
  const ra = await getRa();
  return [ra.certDer, ca.certDer, ...ca.chainDer];
}
