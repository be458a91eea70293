// The enrollment profile, assembled in one place for every way a device gets one: an OTA
// download, an account-driven enroll, and the identity renewal that replaces an installed OTA
// profile (lib/mdm/identityRenewal.ts). The caller brings the identity payload (with its
// challenge) and the topic; this adds the trust anchors, the organisation's name and the MDM
// payload's fixed choices, then builds and signs.
import { config } from "../config";
import { getProfileTrust } from "../pki/trust";
import { ACCESS_RIGHTS_ALL, buildEnrollmentProfile, type EnrollmentProfileOptions, type ServerCapability } from "../profiles/enrollmentProfile";
import { signProfile } from "../profiles/signProfile";
import { getBranding, organizationDisplayName } from "../settings/branding";
import { mdmUrlsFor } from "./enrollmentRef";

/**
 * Bootstrap-token escrow is advertised (the check-in side stores it), and GetToken (Apple
 * requires com.apple.mdm.token for it; com.apple.maid, see lib/mdm/maidToken.ts). Per-user
 * connections are not: advertising them makes macOS open a user channel the server would have to serve.
 */
export const OTA_SERVER_CAPABILITIES: ServerCapability[] = ["com.apple.mdm.bootstraptoken", "com.apple.mdm.token"];

export type ProfilePurpose =
  /** An OTA download for an enrollment token. */
  | { kind: "ota"; tokenId: string; tokenName: string; identifierBase: string }
  /** The replacement of an installed OTA profile: same identifiers, same URLs, a new identity. */
  | { kind: "renewal"; tokenId: string; identifierBase: string }
  /** Account-driven enrollment: device (ADDE) or user (BYOD) enrollment of a Managed Apple Account. */
  | { kind: "account"; accountEnrollmentId: string; mode: "ADDE" | "BYOD"; managedAppleId: string; family: string | null };

/** The profile's PayloadDescription for an OTA download: who manages the device, and whom to ask. */
export function enrollmentProfileDescription(organization: string, tokenName: string, supportContact: string): string {
  const base = `Enrolls this device in ${organization}'s device management (${tokenName}).`;
  return supportContact ? `${base} Support: ${supportContact}` : base;
}

/** The signed enrollment profile (CMS SignedData over the XML plist). */
export async function assembleEnrollmentProfile(purpose: ProfilePurpose, identity: EnrollmentProfileOptions["identity"], topic: string): Promise<Uint8Array> {
  const trust = await getProfileTrust();
  const flags = { topic, signMessage: true, checkOutWhenRemoved: true };
  if (purpose.kind === "account") {
    const isDevice = purpose.mode === "ADDE";
    const { xml } = buildEnrollmentProfile({
      displayName: `${isDevice ? "Device" : "User"} enrollment${purpose.family ? ` (${purpose.family})` : ""}`,
      description: `Enrolls this ${purpose.family ?? "device"} for ${purpose.managedAppleId} with ${new URL(config().publicUrl).host}.`,
      trust,
      identity,
      mdm: {
        // PRODUCT/VERSION/LANGUAGE stay server-side; Authenticate finds them through the URLs' reference.
        ...mdmUrlsFor({ kind: "account", enrollmentId: purpose.accountEnrollmentId }),
        ...flags,
        // User enrollment has Apple's fixed rights; the key must be absent (seed 003 step 13).
        accessRights: isDevice ? ACCESS_RIGHTS_ALL : undefined,
        enrollmentMode: purpose.mode,
        assignedManagedAppleId: purpose.managedAppleId,
        // GetToken (com.apple.maid): the Managed Apple Account signing in here can be checked against this server.
        serverCapabilities: ["com.apple.mdm.token"],
      },
    });
    return signProfile(xml);
  }
  const branding = await getBranding();
  const organization = await organizationDisplayName(branding);
  const { xml } = buildEnrollmentProfile({
    displayName: `${organization} Device Management`,
    organization,
    identifierBase: purpose.identifierBase,
    description: purpose.kind === "ota" ? enrollmentProfileDescription(organization, purpose.tokenName, branding.supportContact) : `Renews this device's management identity for ${organization}.`,
    trust,
    identity,
    mdm: {
      // The token travels in the URLs too, so the link survives challenge types that carry none (STATIC).
      ...mdmUrlsFor({ kind: "token", tokenId: purpose.tokenId }),
      ...flags,
      // What OTA enrollment installs; a renewal never more.
      accessRights: ACCESS_RIGHTS_ALL,
      serverCapabilities: OTA_SERVER_CAPABILITIES,
    },
  });
  return signProfile(xml);
}
