// The com.apple.security.scep payload for an external CA: the same payload as for our built-in
// CA (enrollmentProfile's scepPayload), with the external URL, the device's variables expanded
// into the subject and SAN, and CAFingerprint = SHA-1 of the pinned CA (Apple's client only
// recognises MD5/SHA-1 lengths).
import type { ExternalScepProfile } from "../scep/external/profiles";
import type { SubjectContext } from "../scep/subject";
import { ProfileOptionsError, scepPayload, type PlistObject, type ScepIdentity } from "./enrollmentProfile";
import { profileSubject } from "./profileSubject";

const VAR_RE = /\$([A-Z_]+)/g;

function expandSan(value: string, ctx: SubjectContext): string {
  return value.replace(VAR_RE, (_whole, name: string) => {
    const v = (ctx as Record<string, string | null | undefined>)[name];
    if (v === undefined || v === null || v === "") throw new ProfileOptionsError(`SubjectAltName needs $${name}, which this device does not supply`);
    return v;
  });
}

/** The payload's CAFingerprint for an external CA: SHA-1 of the pinned top certificate. */
export function externalCaFingerprint(row: Pick<ExternalScepProfile, "caFingerprintSha1">): Uint8Array {
  return new Uint8Array(Buffer.from(row.caFingerprintSha1, "hex"));
}

export function externalScepPayload(row: ExternalScepProfile, challenge: string | null, ctx: SubjectContext): PlistObject {
  const san = row.subjectAltNameJson ? (JSON.parse(row.subjectAltNameJson) as Record<string, string>) : null;
  const identity: ScepIdentity = {
    kind: "scep",
    url: row.scepUrl,
    name: row.name,
    challenge: challenge ?? "",
    subject: profileSubject(row.subjectTemplate, ctx),
    keySize: row.keySize,
    keyUsage: row.keyUsage,
    allowAllAppsAccess: row.allowAllAppsAccess,
    keyIsExtractable: !row.nonExportable,
    subjectAltName: san ? Object.fromEntries(Object.entries(san).map(([k, v]) => [k, expandSan(v, ctx)])) : undefined,
  };
  return scepPayload(identity, externalCaFingerprint(row));
}
