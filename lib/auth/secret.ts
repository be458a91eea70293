import { deriveKey } from "../secrets/masterKey";

/** next-auth's session-signing secret, derived from MDM_SECRET so there is one secret to keep. */
export function nextAuthSecret(): string {
  return process.env.NEXTAUTH_SECRET || deriveKey("nextauth-session").toString("base64url");
}
