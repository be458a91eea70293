// The configuration profile a certificate policy installs on one device: a single SCEP payload
// for an external CA, with that device's variables and a challenge fetched for it. One
// PayloadIdentifier per policy, so a redistribution replaces the earlier profile.
import crypto from "node:crypto";
import { build as buildPlist, type PlistValue } from "plist";
import type { ExternalScepProfile } from "../scep/external/profiles";
import type { SubjectContext } from "../scep/subject";
import { externalScepPayload } from "./externalScepPayload";

export function certificateProfileXml(opts: { row: ExternalScepProfile; challenge: string | null; ctx: SubjectContext; identifier: string; displayName: string; organization: string }): string {
  const payload = externalScepPayload(opts.row, opts.challenge, { ...opts.ctx, PROFILE_IDENTIFIER: opts.identifier });
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
