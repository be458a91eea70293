// Signs a configuration profile: CMS SignedData with the content attached, by the profile
// signing certificate our CA issued (chain included), which is what makes iOS and macOS
// show the profile as "Verified" once the root is trusted.
import { signData } from "../pki/cms";
import { getProfileSigner } from "../pki/profileSigner";

export async function signProfile(xml: string | Uint8Array): Promise<Uint8Array> {
  const content = typeof xml === "string" ? new TextEncoder().encode(xml) : xml;
  return signData(content, await getProfileSigner(), { detached: false });
}
