// What an enrollment profile needs from our PKI: the root the device installs as trust
// anchor, and the SCEP payload's CAFingerprint that pins the CA GetCACert will return.
import crypto from "node:crypto";
import { getCa } from "./ca";

export interface ProfileTrust {
  /** The self-signed root (not an imported subordinate): com.apple.security.root. */
  rootDer: Uint8Array;
  /**
   * SHA-1 of that root. Apple's SCEP client (SecSCEPValidateCACertMessage) builds the chain from
   * the RA in the GetCACert bundle and hashes its top certificate, telling the hash by its length:
   * MD5 (16 bytes) or SHA-1 (20). A 32-byte SHA-256 value is not recognised and fails enrollment.
   */
  caFingerprint: Uint8Array;
}

export async function getProfileTrust(): Promise<ProfileTrust> {
  const ca = await getCa();
  return { rootDer: ca.rootDer, caFingerprint: new Uint8Array(crypto.createHash("sha1").update(ca.rootDer).digest()) };
}
