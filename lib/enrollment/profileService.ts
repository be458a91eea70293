// Device-bound OTA enrollment through Apple's Profile Service (two-phase OTA): the download
// of a device-bound link serves a "Profile Service" profile; installing it makes the device
// POST its attributes (UDID, serial, model, OS build, name), CMS-signed with its Apple-issued
// device certificate, to /enroll/device/<binding>; the answer is the enrollment profile made
// for that device: its SCEP challenge carries the proven UDID into the identity certificate,
// and an Authenticate from another UDID is refused (lib/mdm/checkin.ts).
import crypto from "node:crypto";
import { attestSupport } from "../attestation/deviceSupport";
import { config } from "../config";
import { db } from "../db/client";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { log } from "../log/logger";
import { REASONS, type ReasonCode } from "../log/reasons";
import { enrollmentTopic } from "../settings/mdmEndpoints";
import { defaultIdentifierBase, signProfile } from "../profiles/enrollmentProfile";
import { buildProfileServiceProfile } from "../profiles/profileServiceProfile";
import { sha256Hex } from "../secrets/hash";
import { getBranding, organizationDisplayName } from "../settings/branding";
import { type DeviceAttributes, DeviceAttributesError, readDeviceAttributes } from "./deviceAttributes";
import { profileFilename, signedOtaProfile } from "./otaProfile";
import { releaseReservation } from "./reservations";

export const PROFILE_CONTENT_TYPE = "application/x-apple-aspen-config";
/** Apple's devices answer within seconds of installing; the user may wait before installing. */
const BINDING_MINUTES = 60;
const BINDING_ID = /^[a-z0-9]{20,40}$/;

/** The URL a device posts its signed attributes to. */
export function profileServiceUrl(bindingId: string): string {
  return `${config().publicUrl}/enroll/device/${bindingId}`;
}

/** Phase one: a binding for this download and the signed Profile Service profile that points at it. */
export async function profileServiceDownload(
  token: { id: string; name: string },
  r: { reservationId: string; expiresAt: Date; now: Date; remoteAddr: string | null },
): Promise<{ body: Uint8Array; organization: string; bindingId: string }> {
  const challenge = crypto.randomBytes(32).toString("base64url");
  const binding = await db().deviceBinding.create({
    data: {
      tokenId: token.id,
      challengeHash: sha256Hex(challenge),
      reservationId: r.reservationId,
      expiresAt: new Date(Math.min(r.now.getTime() + BINDING_MINUTES * 60_000, Math.max(r.expiresAt.getTime(), r.now.getTime() + 60_000))),
      remoteAddr: r.remoteAddr,
    },
  });
  const branding = await getBranding();
  const organization = await organizationDisplayName(branding);
  const xml = buildProfileServiceProfile({
    url: profileServiceUrl(binding.id),
    challenge,
    displayName: `${organization} Device Enrollment`,
    organization,
    description: `Sends this device's identity to ${organization} so it can prepare the enrollment profile for this device (${token.name}).${branding.supportContact ? ` Support: ${branding.supportContact}` : ""}`,
    identifierBase: defaultIdentifierBase(),
  });
  return { body: await signProfile(xml), organization, bindingId: binding.id };
}

export type ProfileServiceAnswer =
  | { ok: true; body: Uint8Array; filename: string; contentType: typeof PROFILE_CONTENT_TYPE; udid: string; identityKind: "scep" | "acme" }
  | { ok: false; status: number; reason: ReasonCode };

function deviceLabel(a: DeviceAttributes): string {
  const parts = [a.product, a.version && `build ${a.version}`, a.serialNumber && `serial ${a.serialNumber}`, a.deviceName && `"${a.deviceName}"`].filter(Boolean);
  return `UDID ${a.udid}${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

/** Phase two: the device's signed attributes; answers with the enrollment profile made for it. */
export async function answerProfileService(bindingId: string, body: Uint8Array, ctx: { remoteAddr?: string | null; now?: Date } = {}): Promise<ProfileServiceAnswer> {
  const remoteAddr = ctx.remoteAddr ?? null;
  const now = ctx.now ?? new Date();
  const refuse = async (status: number, reason: ReasonCode, message: string, extra: { tokenId?: string | null; udid?: string | null } = {}): Promise<ProfileServiceAnswer> => {
    await writeEnrollmentLog({
      step: "ota.device",
      outcome: "ERROR",
      reason,
      message: `${message}. Fix: ${REASONS[reason].fix}`,
      tokenId: extra.tokenId ?? null,
      deviceIdentifier: extra.udid ?? null,
      remoteAddr,
    });
    return { ok: false, status, reason };
  };
  const binding = BINDING_ID.test(bindingId) ? await db().deviceBinding.findUnique({ where: { id: bindingId } }) : null;
  if (!binding) return refuse(404, "profile_service_challenge", "Profile Service answer for an unknown enrollment step");
  let attrs: DeviceAttributes;
  try {
    attrs = await readDeviceAttributes(body);
  } catch (err) {
    if (!(err instanceof DeviceAttributesError)) throw err;
    return refuse(400, "profile_service_malformed", `Profile Service answer refused: ${err.message}`, { tokenId: binding.tokenId });
  }
  const tokenId = binding.tokenId;
  const udid = attrs.udid;
  // The challenge ties this answer to the profile we served; compared as hashes (constant length).
  const given = attrs.challenge ? Buffer.from(sha256Hex(attrs.challenge), "hex") : Buffer.alloc(32);
  if (!attrs.challenge || !crypto.timingSafeEqual(given, Buffer.from(binding.challengeHash, "hex"))) {
    return refuse(403, "profile_service_challenge", `Profile Service answer from ${deviceLabel(attrs)} carries a challenge this server did not issue for this step`, { tokenId, udid });
  }
  if (binding.usedAt)
    return refuse(410, "profile_service_challenge", `Profile Service answer from ${deviceLabel(attrs)} repeats a step already answered at ${binding.usedAt.toISOString()}`, { tokenId, udid });
  if (binding.expiresAt.getTime() <= now.getTime())
    return refuse(410, "profile_service_challenge", `Profile Service answer from ${deviceLabel(attrs)} arrived after the step expired (${binding.expiresAt.toISOString()})`, { tokenId, udid });
  const token = await db().enrollmentToken.findUnique({ where: { id: tokenId } });
  if (!token || token.revokedAt) return refuse(410, "token_revoked", `Profile Service answer from ${deviceLabel(attrs)}: the enrollment token was revoked or deleted`, { tokenId, udid });
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime())
    return refuse(410, "token_expired", `Profile Service answer from ${deviceLabel(attrs)}: the enrollment token expired`, { tokenId, udid });
  // Single use, also under concurrent answers.
  const { count } = await db().deviceBinding.updateMany({
    where: { id: binding.id, usedAt: null },
    data: { usedAt: now, udid, serialNumber: attrs.serialNumber, product: attrs.product, version: attrs.version, deviceName: attrs.deviceName, appleSigned: attrs.appleSigned },
  });
  if (count !== 1) return refuse(410, "profile_service_challenge", `Profile Service answer from ${deviceLabel(attrs)} lost the race to a concurrent answer of the same step`, { tokenId, udid });

  const support = attestSupport({ product: attrs.product, buildVersion: attrs.version });
  if (token.requireAttestation && !support.ok) {
    // This device can never enroll through this link: its held use goes back.
    if (binding.reservationId) await releaseReservation(binding.reservationId, now);
    return refuse(403, "attestation_required", `Enrollment refused for ${deviceLabel(attrs)}: token "${token.name}" requires attestation and ${support.why}`, { tokenId, udid });
  }
  const topic = await enrollmentTopic();
  if (topic === null) return refuse(503, "push_not_configured", `Enrollment profile for ${deviceLabel(attrs)} not made: no APNs certificate`, { tokenId, udid });
  // Devices that can attest get Apple's ACME payload (device-attest-01); the rest SCEP.
  const identityKind = support.ok ? "acme" : "scep";
  try {
    const { body: profile, organization } = await signedOtaProfile(token, topic, {
      remoteAddr,
      device: { udid, serialNumber: attrs.serialNumber, deviceName: attrs.deviceName },
      acme: identityKind === "acme",
    });
    await db().deviceBinding.update({ where: { id: binding.id }, data: { identityKind } });
    const signer = attrs.appleSigned
      ? "signed by a device certificate from Apple iPhone Device CA"
      : "NOT signed by a certificate from Apple's device CA (recorded; Macs and some devices sign otherwise)";
    await writeEnrollmentLog({
      step: "ota.device",
      outcome: attrs.appleSigned ? "OK" : "WARNING",
      message: `Enrollment profile made for ${deviceLabel(attrs)} with token "${token.name}": ${identityKind === "acme" ? "ACME identity (device-attest-01, Secure Enclave key attested by Apple)" : `SCEP identity${support.ok ? "" : ` (${support.why})`}`} bound to the UDID; attributes ${signer}`,
      tokenId,
      deviceIdentifier: udid,
      remoteAddr,
    });
    return { ok: true, body: profile, filename: profileFilename(organization), contentType: PROFILE_CONTENT_TYPE, udid, identityKind };
  } catch (err) {
    log.error("could not build the device-bound enrollment profile", { err, tokenId });
    await writeEnrollmentLog({
      step: "ota.device",
      outcome: "ERROR",
      message: `Enrollment profile for ${deviceLabel(attrs)} could not be built: ${(err as Error).message ?? String(err)}`,
      tokenId,
      deviceIdentifier: udid,
      remoteAddr,
    });
    return { ok: false, status: 503, reason: "profile_service_malformed" };
  }
}
