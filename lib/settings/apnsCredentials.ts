// The APNs credentials as stored in settings (the private key sealed). Below the push
// client, so that whatever only asks "is push set up" (the MDM topic, the portal) does not
// depend on lib/mdm; saving them also resets the push client: lib/mdm/push.ts.
import { seal, unseal } from "../secrets/sealed";
import { readSetting, writeSetting } from "./store";

export type ApnsAuth = { kind: "certificate"; certPem: string; keyPem: string } | { kind: "token"; teamId: string; keyId: string; keyPem: string };

const CREDENTIALS_KEY = "apns.credentials";
const SEAL_CONTEXT = "apns-key";

type StoredCredentials = { kind: "certificate"; certPem: string; keyEnc: string } | { kind: "token"; teamId: string; keyId: string; keyEnc: string };

export async function storeApnsCredentials(auth: ApnsAuth): Promise<void> {
  const stored: StoredCredentials =
    auth.kind === "certificate"
      ? { kind: "certificate", certPem: auth.certPem, keyEnc: seal(auth.keyPem, SEAL_CONTEXT) }
      : { kind: "token", teamId: auth.teamId, keyId: auth.keyId, keyEnc: seal(auth.keyPem, SEAL_CONTEXT) };
  await writeSetting(CREDENTIALS_KEY, stored);
}

export async function loadApnsCredentials(): Promise<ApnsAuth | null> {
  const s = (await readSetting(CREDENTIALS_KEY)) as StoredCredentials | undefined;
  if (!s) return null;
  return s.kind === "certificate"
    ? { kind: "certificate", certPem: s.certPem, keyPem: unseal(s.keyEnc, SEAL_CONTEXT) }
    : { kind: "token", teamId: s.teamId, keyId: s.keyId, keyPem: unseal(s.keyEnc, SEAL_CONTEXT) };
}
