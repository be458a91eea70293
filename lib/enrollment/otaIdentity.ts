// The identity (SCEP) payload of an OTA enrollment profile: the token's SCEP profile, or
// the OTA default one, with a challenge issued for this download.
//
// Tokens without a SCEP profile: a device cannot check in without an identity certificate,
// so those tokens use a default SCEP profile ("OTA default", one-time DYNAMIC challenge,
// subject CN=$UDID), created on first need and remembered in the settings table. Admins
// can edit it like any other SCEP profile.
//
// Subject variables: the device is unknown when the profile is downloaded (Apple's client
// does not expand variables), so $UDID, $SERIALNUMBER, $COMPUTERNAME, $EMAIL and
// $USERNAME are filled with a per-download enrollment reference ("OTA-…"); the
// certificate is tied to the real device when it checks in (Authenticate).
// $PROFILE_IDENTIFIER is the profile's identifier.
import crypto from "node:crypto";
import { db, isUniqueViolation } from "../db/client";
import { AppError } from "../errors";
import type { ScepIdentity } from "../profiles/enrollmentProfile";
import { deviceUnknownContext, profileSubject } from "../profiles/profileSubject";
import type { SubjectContext } from "../scep/subject";
import { challengeForEnrollment } from "../scep/challenge";
import { createScepProfile, getScepProfileRow, type ScepProfile } from "../scep/profiles";
import { scepUrl } from "../scep/url";
import { challengeFor, getExternalScepProfileRow } from "../scep/external/profiles";
import { externalCaFingerprint } from "../profiles/externalScepPayload";
import { readSetting, writeSetting } from "../settings/store";

export const DEFAULT_OTA_SCEP_PROFILE_NAME = "OTA default";
const DEFAULT_SETTING_KEY = "ota.defaultScepProfileId";

export interface OtaIdentity {
  payload: ScepIdentity;
  challengeType: string;
  scepProfileName: string;
  /** The value the subject's device variables were filled with. */
  enrollmentReference: string;
}

async function rememberDefault(id: string): Promise<void> {
  await writeSetting(DEFAULT_SETTING_KEY, id);
}

/** The default SCEP profile for tokens that name none; created (DYNAMIC challenge) on first need. */
export async function defaultOtaScepProfile(): Promise<ScepProfile> {
  const remembered = await readSetting(DEFAULT_SETTING_KEY);
  if (typeof remembered === "string") {
    const row = await getScepProfileRow(remembered);
    if (row) return row;
  }
  const byName = await db().scepProfile.findUnique({ where: { name: DEFAULT_OTA_SCEP_PROFILE_NAME } });
  if (byName) {
    await rememberDefault(byName.id);
    return byName;
  }
  try {
    const created = await createScepProfile({ name: DEFAULT_OTA_SCEP_PROFILE_NAME, challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID" });
    await rememberDefault(created.profile.id);
  } catch (err) {
    // A concurrent download created it first (name is unique): use theirs.
    if (!(err instanceof AppError && err.status === 409) && !isUniqueViolation(err)) throw err;
  }
  const row = await db().scepProfile.findUnique({ where: { name: DEFAULT_OTA_SCEP_PROFILE_NAME } });
  if (!row) throw new Error("the default OTA SCEP profile could not be created");
  await rememberDefault(row.id);
  return row;
}

/** The device a device-bound profile is made for (what it proved in the Profile Service phase). */
export interface KnownDevice {
  udid: string;
  serialNumber: string | null;
  deviceName: string | null;
}

/**
 * Fills a subject template: with the device's own values when it is known (device-bound OTA),
 * else with the per-download reference.
 */
function otaSubject(template: string, reference: string, profileIdentifier: string, device?: KnownDevice): string {
  const known: SubjectContext = { PROFILE_IDENTIFIER: profileIdentifier };
  if (device) {
    known.UDID = device.udid;
    if (device.serialNumber) known.SERIALNUMBER = device.serialNumber;
    if (device.deviceName) known.COMPUTERNAME = device.deviceName;
  }
  return profileSubject(template, deviceUnknownContext(reference, known));
}

/**
 * The identity payload when an external CA issues the MDM identity (OTA tokens and
 * account-driven routes): its pin, a fresh challenge from its source, the subject filled by
 * the caller (the device is not known yet).
 */
export async function externalScepIdentity(
  externalScepProfileId: string,
  fillSubject: (template: string) => string,
  who: { userIdentifier?: string | null } = {},
): Promise<{ payload: ScepIdentity; challengeType: string; scepProfileName: string }> {
  const row = await getExternalScepProfileRow(externalScepProfileId);
  if (!row) throw new AppError(503, "external_scep_profile_missing", "the external SCEP profile for the MDM identity no longer exists");
  const challenge = await challengeFor(row, { userIdentifier: who.userIdentifier ?? null });
  // The failure (unreachable, wrong credentials, cache full) is already in the enrollment log with its fix.
  if (!challenge.ok) throw new AppError(503, `external_challenge_${challenge.kind}`, `external SCEP profile "${row.name}": ${challenge.detail}`);
  return {
    challengeType: `EXTERNAL ${row.challengeSource}`,
    scepProfileName: row.name,
    payload: {
      kind: "scep",
      url: row.scepUrl,
      name: row.name,
      challenge: challenge.challenge ?? "",
      subject: fillSubject(row.subjectTemplate),
      keySize: row.keySize,
      keyUsage: row.keyUsage,
      allowAllAppsAccess: row.allowAllAppsAccess,
      keyIsExtractable: !row.nonExportable,
      caFingerprint: externalCaFingerprint(row),
    },
  };
}

export async function otaIdentity(input: {
  tokenId: string;
  scepProfileId: string | null;
  externalScepProfileId?: string | null;
  profileIdentifier: string;
  device?: KnownDevice;
}): Promise<OtaIdentity> {
  if (input.externalScepProfileId) {
    const enrollmentReference = `OTA-${crypto.randomBytes(6).toString("hex").toUpperCase()}`;
    const ext = await externalScepIdentity(input.externalScepProfileId, (t) => otaSubject(t, enrollmentReference, input.profileIdentifier, input.device));
    return { ...ext, enrollmentReference };
  }
  const profile = (input.scepProfileId ? await getScepProfileRow(input.scepProfileId) : null) ?? (await defaultOtaScepProfile());
  // Device-bound: a one-time challenge carries the proven UDID into the certificate (a STATIC one cannot).
  const challenge = await challengeForEnrollment(profile.id, { tokenId: input.tokenId, boundUdid: input.device?.udid ?? null });
  const enrollmentReference = `OTA-${crypto.randomBytes(6).toString("hex").toUpperCase()}`;
  return {
    challengeType: profile.challengeType,
    scepProfileName: profile.name,
    enrollmentReference,
    payload: {
      kind: "scep",
      url: scepUrl(profile.id),
      name: profile.name,
      challenge,
      subject: otaSubject(profile.subjectTemplate, enrollmentReference, input.profileIdentifier, input.device),
      keySize: profile.keySize,
      keyUsage: profile.keyUsage,
      allowAllAppsAccess: profile.allowAllAppsAccess,
      keyIsExtractable: !profile.nonExportable,
    },
  };
}
