// The key that signs .mobileconfig files: a leaf certificate issued by our CA, so a
// device that trusts the root shows the profile as "Verified". Re-issued automatically
// when the CA changes (import) or the certificate nears its end (lib/pki/issuedKey).
import { getCa } from "./ca";
import type { Signer } from "./cms";
import { getIssuedKey, type IssuedKeySpec } from "./issuedKey";
import { EKU, KU } from "./x509";

export type { Signer } from "./cms";

export const PROFILE_SIGNER_KEY_NAME = "profile-signer";

const SPEC: IssuedKeySpec = {
  name: PROFILE_SIGNER_KEY_NAME,
  subject: "CN=Open Enroll Profile Signing,O=Open Enroll",
  validDays: 825,
  renewBeforeDays: 30,
  keyUsageBits: [KU.digitalSignature],
  extKeyUsage: [EKU.codeSigning, EKU.emailProtection],
};

export async function getProfileSigner(): Promise<Signer> {
  const ca = await getCa();
  const key = await getIssuedKey(SPEC);
  // The chain up to the root travels in the signature, so an imported subordinate verifies too.
  return { certDer: key.certDer, chainDer: [ca.certDer, ...ca.chainDer], privateKey: key.privateKey };
}
