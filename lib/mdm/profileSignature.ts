// Signed profiles (CMS SignedData with the plist inside): the signature must verify
// against the embedded signer certificate; the content is what gets validated.
import { AppError } from "../errors";
import { CmsError, verifySignedData } from "../pki/cms";

export async function unwrapSignedProfile(der: Uint8Array): Promise<Uint8Array> {
  try {
    const { content } = await verifySignedData(der);
    return content;
  } catch (err) {
    const why = err instanceof CmsError ? err.message : "unreadable signature";
    throw new AppError(400, "invalid_policy", `signed profile does not verify: ${why}`);
  }
}
