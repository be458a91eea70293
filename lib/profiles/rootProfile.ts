// A profile with only the root certificate (com.apple.security.root): installed before the
// enrollment profile, and trusted under Certificate Trust Settings, it makes the enrollment
// profile show as "Verified" where the server's TLS chain is not publicly trusted.
import crypto from "node:crypto";
import { build as buildPlist } from "plist";
import { defaultIdentifierBase } from "./enrollmentProfile";

export interface RootProfileOptions {
  organization: string;
  rootDer: Uint8Array;
  identifierBase?: string;
}

export function buildRootProfile(opts: RootProfileOptions): string {
  const base = `${opts.identifierBase ?? defaultIdentifierBase()}.trust`;
  return buildPlist({
    PayloadType: "Configuration",
    PayloadVersion: 1,
    PayloadIdentifier: base,
    PayloadUUID: crypto.randomUUID().toUpperCase(),
    PayloadDisplayName: `${opts.organization} Root Certificate`,
    PayloadOrganization: opts.organization,
    PayloadDescription: `Lets this device trust ${opts.organization}'s certificate authority.`,
    PayloadScope: "System",
    PayloadRemovalDisallowed: false,
    PayloadContent: [
      {
        PayloadType: "com.apple.security.root",
        PayloadVersion: 1,
        PayloadIdentifier: `${base}.root`,
        PayloadUUID: crypto.randomUUID().toUpperCase(),
        PayloadDisplayName: "Root certificate",
        PayloadOrganization: opts.organization,
        PayloadCertificateFileName: "root-ca.cer",
        PayloadContent: Buffer.from(opts.rootDer),
      },
    ],
  });
}
