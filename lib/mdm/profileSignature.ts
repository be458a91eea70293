// Signed profiles (CMS SignedData with the plist inside). Verification is lib/pki's.
import { AppError } from "../errors";

export async function unwrapSignedProfile(der: Uint8Array): Promise<Uint8Array> {
  void der;
  // lib/pki/cms.ts (verifySignedData) is being written in parallel; wired in when it lands.
  throw new AppError(400, "invalid_policy", "signed profiles cannot be verified yet; upload the unsigned .mobileconfig");
}
