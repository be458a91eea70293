// Creates the server's keys on first start, so the first device or admin does not pay
// for key generation. Each domain owns its key; this only calls them.
import { getJwtKeys } from "./enrollment/jwtKey";
import { getCa } from "./pki/ca";
import { getProfileSigner } from "./pki/profileSigner";
import { getRa } from "./pki/ra";

export async function ensureServerKeys(): Promise<void> {
  await getJwtKeys();
  await getCa();
  // Issued by the CA, so they come second; each is re-issued here when near its end.
  await getProfileSigner();
  await getRa();
}
