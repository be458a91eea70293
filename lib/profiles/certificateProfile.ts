// The configuration profile a certificate policy installs on one device: a single SCEP payload
// for an external CA, with that device's variables and a challenge fetched for it. One
// PayloadIdentifier per policy, so a redistribution replaces the earlier profile.
import crypto from "node:crypto";
import { build as buildPlist, type PlistValue } from "plist";
import type { ExternalScepProfile } from "../scep/external/profiles";
import type { ScepProfile } from "../scep/profiles";
import type { SubjectContext } from "../scep/subject";
import { scepUrl } from "../scep/url";
import { scepPayload, type PlistObject } from "./enrollmentProfile";
import { externalScepPayload } from "./externalScepPayload";
import { profileSubject } from "./profileSubject";

/** A built-in SCEP profile's payload for one device: our SCEP URL, our root's CAFingerprint. */
export function builtinScepPayload(row: ScepProfile, challenge: string, ctx: SubjectContext, caFingerprint: Uint8Array): PlistObject {
  return scepPayload(
    {
      kind: "scep",
      url: scepUrl(row.id),
      name: row.name,
      challenge,
      subject: profileSubject(row.subjectTemplate, ctx),
      keySize: row.keySize,
      keyUsage: row.keyUsage,
      allowAllAppsAccess: row.allowAllAppsAccess,
      keyIsExtractable: !row.nonExportable,
    },
    caFingerprint,
  );
}

export function certificateProfileXml(opts: {
  source: { external: ExternalScepProfile; challenge: string | null } | { builtin: ScepProfile; challenge: string; caFingerprint: Uint8Array };
  ctx: SubjectContext;
  identifier: string;
  displayName: string;
  organization: string;
}): string {
  const ctx = { ...opts.ctx, PROFILE_IDENTIFIER: opts.identifier };
  const src = opts.source;
  const payload = "external" in src ? externalScepPayload(src.external, src.challenge, ctx) : builtinScepPayload(src.builtin, src.challenge, ctx, src.caFingerprint);
  const uuid = () => crypto.randomUUID().toUpperCase();
  const top = {
    PayloadType: "Configuration",
    PayloadVersion: 1,
    PayloadIdentifier: opts.identifier,
    PayloadUUID: uuid(),
    PayloadDisplayName: opts.displayName,
    PayloadOrganization: opts.organization,
    PayloadScope: "System",
    PayloadContent: [{ ...payload, PayloadIdentifier: `${opts.identifier}.scep`, PayloadUUID: uuid(), PayloadVersion: 1 }],
  };
  return buildPlist(top as unknown as PlistValue);
}
