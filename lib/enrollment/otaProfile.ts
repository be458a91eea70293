// The signed OTA enrollment profile for one download (one-phase OTA) or for one device
// (device-bound OTA, after the Profile Service phase): identity (SCEP challenge issued now),
// the root, and the MDM payload carrying the token's enrollment reference.
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { defaultIdentifierBase, type EnrollmentProfileOptions } from "../profiles/enrollmentProfile";
import { organizationDisplayName } from "../settings/branding";
import { assembleEnrollmentProfile } from "./assembleProfile";
import { createAcmeEnrollment } from "../acme/enrollment";
import { type KnownDevice, otaIdentity } from "./otaIdentity";

export interface OtaProfileToken {
  id: string;
  name: string;
  scepProfileId: string | null;
  externalScepProfileId: string | null;
}

/** The MDM identity payload: ACME (device-attest-01) for a known device that can attest, else SCEP. */
async function identityFor(token: OtaProfileToken, identifierBase: string, ctx: { remoteAddr?: string | null; device?: KnownDevice; acme?: boolean }): Promise<EnrollmentProfileOptions["identity"]> {
  const log = (message: string) =>
    writeEnrollmentLog({ step: "ota.challenge", outcome: "OK", message, tokenId: token.id, deviceIdentifier: ctx.device?.udid ?? null, remoteAddr: ctx.remoteAddr ?? null });
  if (ctx.acme && ctx.device) {
    // Apple's ACME payload as the MDM identity: the key in the Secure Enclave, attested by Apple, bound to this UDID and serial.
    const acme = await createAcmeEnrollment({ udid: ctx.device.udid, serialNumber: ctx.device.serialNumber, enrollmentRef: `token:${token.id}`, identifierBase });
    await log(
      `ACME payload issued (device-attest-01, ClientIdentifier ${acme.clientIdentifier}), bound to UDID ${ctx.device.udid}${ctx.device.serialNumber ? ` and serial ${ctx.device.serialNumber}` : ""}`,
    );
    return { kind: "acme", payload: acme.payload };
  }
  const identity = await otaIdentity({
    tokenId: token.id,
    scepProfileId: token.scepProfileId,
    externalScepProfileId: token.externalScepProfileId,
    profileIdentifier: identifierBase,
    device: ctx.device,
  });
  await log(`SCEP challenge issued (${identity.challengeType}, SCEP profile "${identity.scepProfileName}"${ctx.device ? `, bound to UDID ${ctx.device.udid}` : ""})`);
  return identity.payload;
}

/** Builds and signs the enrollment profile; logs the identity issued ("ota.challenge"). */
export async function signedOtaProfile(
  token: OtaProfileToken,
  topic: string,
  ctx: { remoteAddr?: string | null; device?: KnownDevice; acme?: boolean },
): Promise<{ body: Uint8Array; organization: string }> {
  const identifierBase = defaultIdentifierBase();
  const identity = await identityFor(token, identifierBase, ctx);
  const body = await assembleEnrollmentProfile({ kind: "ota", tokenId: token.id, tokenName: token.name, identifierBase }, identity, topic);
  return { body, organization: await organizationDisplayName() };
}

/** "Acme Corp" → "acme-corp-enrollment.mobileconfig". */
export function profileFilename(organization: string, what = "enrollment"): string {
  const stem =
    organization
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "enroll";
  return `${stem}-${what}.mobileconfig`;
}
