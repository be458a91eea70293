// Creates the server's keys on first start. Each domain owns its key; this only calls them.
import { getCa } from "./pki/ca";
import { getProfileSigner } from "./pki/profileSigner";

export async function ensureServerKeys(): Promise<void> {
  await getCa();
  // Issued by the CA, so it comes second.
  await getProfileSigner();
}
