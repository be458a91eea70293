// Identity-certificate renewal before expiry (SCEP profile "renewalWindowDays"). Apple's
// way: send InstallProfile with an updated enrollment profile that replaces the installed
// one (same top-level and MDM PayloadIdentifier, same ServerURL/CheckInURL/Topic, no more
// AccessRights) and carries a fresh SCEP payload with a one-time challenge. The device runs
// SCEP again and signs later requests with the new certificate; it sends no new
// Authenticate. The challenge names the certificate it replaces (challenge.ts
// issueRenewalChallenge), so the new certificate is issued for the same device with
// renewedFromSerial set, and the first request signed with it moves Device.certSerial
// (mdmRequest.ts boundDevice).
//
// Identifiers: the OTA profile's identifiers are derived, not random: the top-level one is
// defaultIdentifierBase() (from PUBLIC_URL's host) and the payloads' are "<base>.root",
// ".identity", ".mdm". The device's last ProfileList (Device.installedProfiles) is
// preferred when it shows the installed enrollment profile, so a PUBLIC_URL host change
// since enrollment still yields the installed identifiers. Devices enrolled before this
// feature have the same derived identifiers, so they are renewed the same way.
//
// Not renewed (listed as skipped in the run's result): account-driven enrollments (their profile
// comes with the user's access token and EnrollmentMode; they re-enroll through the
// account flow) and devices whose certificate has no SCEP profile.
//
// Idempotent: a certificate that already has a renewal challenge (used, or still valid),
// or a certificate renewed from it, is skipped; several server instances running the job
// at once can at worst both queue (the window is a race of milliseconds per device).
import { db } from "../db/client";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { log } from "../log/logger";
import type { CertificateRow } from "../pki/certificates";
import { defaultIdentifierBase } from "../profiles/enrollmentProfile";
import { profileSubject } from "../profiles/profileSubject";
import { issueRenewalChallenge, RENEWAL_SOURCE_PREFIX } from "../scep/challenge";
import type { ScepProfile } from "../scep/profiles";
import { scepUrl } from "../scep/url";
import { assembleEnrollmentProfile } from "../enrollment/assembleProfile";
import { enqueueCommand } from "./commands";
import { currentMdmTopic } from "../settings/mdmEndpoints";

const STEP = "renewal";
const DAY_MS = 86_400_000;

export interface RenewalRunResult {
  queued: { deviceId: string; identifier: string; serial: string; commandUuid: string }[];
  skipped: { identifier: string; serial: string; why: string }[];
  failed: { identifier: string; serial: string; error: string }[];
}

interface Candidate {
  cert: CertificateRow & { profile: ScepProfile | null };
  device: {
    id: string;
    identifier: string;
    udid: string | null;
    serialNumber: string | null;
    deviceName: string | null;
    enrollmentType: string;
    tokenId: string | null;
    topic: string | null;
    installedProfiles: string | null;
  };
}

/** The installed enrollment profile's top-level identifier, when the last ProfileList shows one in our derived shape. */
export function installedEnrollmentIdentifier(installedProfiles: string | null): string | null {
  if (!installedProfiles) return null;
  try {
    const list = JSON.parse(installedProfiles) as unknown;
    if (!Array.isArray(list)) return null;
    for (const p of list as { PayloadIdentifier?: unknown; PayloadContent?: unknown }[]) {
      if (typeof p?.PayloadIdentifier !== "string" || !Array.isArray(p.PayloadContent)) continue;
      const mdm = (p.PayloadContent as { PayloadType?: unknown; PayloadIdentifier?: unknown }[]).find((x) => x?.PayloadType === "com.apple.mdm");
      if (mdm && mdm.PayloadIdentifier === `${p.PayloadIdentifier}.mdm`) return p.PayloadIdentifier;
    }
  } catch {
    // Unreadable inventory: fall back to the derived identifier.
  }
  return null;
}

/** The SCEP subject for a known device: its real values instead of the enrollment reference. */
function renewalSubject(template: string, d: Candidate["device"], profileIdentifier: string): string {
  return profileSubject(template, {
    UDID: d.udid || d.identifier,
    SERIALNUMBER: d.serialNumber || d.identifier,
    COMPUTERNAME: d.deviceName || d.identifier,
    EMAIL: d.identifier,
    USERNAME: d.identifier,
    PROFILE_IDENTIFIER: profileIdentifier,
  });
}

async function alreadyRenewing(serial: string, now: Date): Promise<boolean> {
  const challenge = await db().scepChallenge.findFirst({
    where: { source: `${RENEWAL_SOURCE_PREFIX}${serial}`, OR: [{ usedAt: { not: null } }, { expiresAt: { gt: now } }] },
    select: { id: true },
  });
  if (challenge) return true;
  return (await db().certificate.count({ where: { renewedFromSerial: serial } })) > 0;
}

/** Builds, signs and queues the replacement enrollment profile for one device. */
async function queueOne(c: Candidate, now: Date): Promise<string> {
  const { cert, device } = c;
  const profile = cert.profile!;
  const tokenId = device.tokenId ?? cert.enrollmentTokenId;
  const identifierBase = installedEnrollmentIdentifier(device.installedProfiles) ?? defaultIdentifierBase();
  // Valid until the old certificate ends: the command may wait for an offline device.
  const challenge = await issueRenewalChallenge(profile.id, cert.serial, { tokenId, userId: cert.userId }, cert.notAfter);
  if (!tokenId) throw new Error("the device has no enrollment token, so its MDM URLs cannot be rebuilt");
  const payload = await assembleEnrollmentProfile(
    { kind: "renewal", tokenId, identifierBase },
    {
      kind: "scep",
      url: scepUrl(profile.id),
      name: profile.name,
      challenge,
      subject: renewalSubject(profile.subjectTemplate, device, identifierBase),
      keySize: profile.keySize,
      keyUsage: profile.keyUsage,
      allowAllAppsAccess: profile.allowAllAppsAccess,
      keyIsExtractable: !profile.nonExportable,
    },
    // The installed profile's topic (reported at Authenticate): a replacement with another one is refused.
    device.topic ?? (await currentMdmTopic()),
  );
  const { uuid } = await enqueueCommand(device.id, "InstallProfile", { Payload: payload });
  const daysLeft = Math.max(0, Math.ceil((cert.notAfter.getTime() - now.getTime()) / DAY_MS));
  await writeEnrollmentLog({
    step: STEP,
    outcome: "OK",
    message: `Identity renewal queued: InstallProfile ${uuid} replaces enrollment profile ${identifierBase}; certificate ${cert.serial} expires in ${daysLeft} day(s) (window ${profile.renewalWindowDays} days, SCEP profile "${profile.name}")`,
    deviceIdentifier: device.identifier,
    tokenId,
  });
  return uuid;
}

/**
 * Queues an identity renewal for every ENROLLED/MANAGED device whose bound certificate is
 * within its SCEP profile's renewal window, not revoked, not expired, and not being renewed.
 */
export async function queueIdentityRenewals(now = new Date()): Promise<RenewalRunResult> {
  const result: RenewalRunResult = { queued: [], skipped: [], failed: [] };
  const widest = await db().scepProfile.aggregate({ _max: { renewalWindowDays: true } });
  const maxWindow = widest._max.renewalWindowDays ?? 0;
  if (maxWindow <= 0) return result;
  const certs = await db().certificate.findMany({
    where: {
      revokedAt: null,
      deviceId: { not: null },
      notAfter: { gt: now, lte: new Date(now.getTime() + maxWindow * DAY_MS) },
      device: { status: { in: ["ENROLLED", "MANAGED"] } },
    },
    include: {
      profile: true,
      device: { select: { id: true, identifier: true, udid: true, serialNumber: true, deviceName: true, enrollmentType: true, tokenId: true, topic: true, installedProfiles: true, certSerial: true } },
    },
    orderBy: { notAfter: "asc" },
  });
  for (const row of certs) {
    const { device, ...cert } = row;
    if (!device || device.certSerial !== cert.serial) continue; // not the bound certificate
    if (!cert.profile || cert.profile.renewalWindowDays <= 0) continue;
    if (cert.notAfter.getTime() - now.getTime() > cert.profile.renewalWindowDays * DAY_MS) continue;
    if (await alreadyRenewing(cert.serial, now)) continue;
    const c: Candidate = { cert, device };
    if (device.enrollmentType !== "OTA") {
      result.skipped.push({ identifier: device.identifier, serial: cert.serial, why: "account-driven enrollment" });
      continue;
    }
    try {
      const uuid = await queueOne(c, now);
      result.queued.push({ deviceId: device.id, identifier: device.identifier, serial: cert.serial, commandUuid: uuid });
    } catch (err) {
      const error = (err as Error).message ?? String(err);
      log.error("identity renewal could not be queued", { err, deviceId: device.id, serial: cert.serial });
      result.failed.push({ identifier: device.identifier, serial: cert.serial, error });
      // Nothing was queued: drop the unused challenge so the next run tries again.
      await db().scepChallenge.deleteMany({ where: { source: `${RENEWAL_SOURCE_PREFIX}${cert.serial}`, usedAt: null } });
      await writeEnrollmentLog({
        step: STEP,
        outcome: "ERROR",
        reason: "identity_renewal_failed",
        message: `Identity renewal for certificate ${cert.serial} could not be queued: ${error}`,
        deviceIdentifier: device.identifier,
        tokenId: device.tokenId,
      });
    }
  }
  return result;
}
