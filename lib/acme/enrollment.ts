// The ACME side of an enrollment: when a profile hands a device an ACME payload, the device
// it names (UDID and/or serial, known from the Profile Service phase) is recorded, so that
// device, and only it, can obtain an attested certificate for a while.
import crypto from "node:crypto";
import type { PlistValue } from "plist";
import { db } from "../db/client";
import { badRequest } from "../errors";
import { NameError, nameToAppleSubject } from "../pki/names";
import { EKU } from "../pki/x509";
import { DEVICE_ID_PATTERN } from "./policy";
import { acmeUrl } from "./urls";

/** How long a handed-out ACME payload can be used: the device installs it within minutes. */
export const ACME_ENROLLMENT_TTL_MS = 24 * 3600_000;

export interface AcmeEnrollmentRequest {
  udid?: string | null;
  serialNumber?: string | null;
  /** What the enrollment is (token id, person, route): kept for the admin, not interpreted. */
  enrollmentRef?: string | null;
  /** "CN=…,O=…"; default CN=<serial or UDID>. */
  subject?: string;
  /** P-256 (default) or P-384 Secure Enclave key. */
  keySize?: 256 | 384;
  /** PayloadIdentifier prefix (reverse DNS) and the payload's UUID, when the profile builder chooses them. */
  identifierBase?: string;
  payloadUuid?: string;
  now?: Date;
}

export interface AcmeEnrollment {
  directoryUrl: string;
  clientIdentifier: string;
  /** The com.apple.security.acme payload dictionary (Apple's schema: mdm/profiles/com.apple.security.acme.yaml). */
  payload: { [key: string]: PlistValue };
}

export async function createAcmeEnrollment(req: AcmeEnrollmentRequest): Promise<AcmeEnrollment> {
  const udid = req.udid?.trim() || null;
  const serialNumber = req.serialNumber?.trim().toUpperCase() || null;
  if (!udid && !serialNumber) throw badRequest("acme_enrollment_no_device", "an ACME enrollment needs the device's UDID or serial number");
  for (const v of [udid, serialNumber]) if (v && !DEVICE_ID_PATTERN.test(v)) throw badRequest("acme_enrollment_bad_device", "UDID and serial number are letters, digits and hyphens");
  // Apple's model: the order's permanent-identifier is the device's own identifier, which the
  // attestation names. The serial number first: a Mac attests its ProvisioningUDID, not the
  // UDID it enrolls with, while the serial is the same everywhere.
  const clientIdentifier = (serialNumber ?? udid)!;
  const subject = req.subject ?? `CN=${clientIdentifier}`;
  let appleSubject: PlistValue;
  try {
    appleSubject = nameToAppleSubject(subject);
  } catch (err) {
    if (err instanceof NameError) throw badRequest("acme_enrollment_bad_subject", `subject: ${err.message}`);
    throw err;
  }
  const keySize = req.keySize ?? 256;
  if (keySize !== 256 && keySize !== 384) throw badRequest("acme_enrollment_bad_key", "hardware-bound keys are P-256 or P-384");
  const now = req.now ?? new Date();
  const data = { udid, serialNumber, enrollmentRef: req.enrollmentRef?.slice(0, 200) ?? null, subject, expiresAt: new Date(now.getTime() + ACME_ENROLLMENT_TTL_MS), usedAt: null, certSerial: null };
  // A new enrollment of the same device replaces the old binding (a new profile, a new chance).
  await db().acmeEnrollment.upsert({ where: { clientIdentifier }, create: { clientIdentifier, ...data }, update: { ...data, createdAt: now } });
  const uuid = req.payloadUuid ?? crypto.randomUUID().toUpperCase();
  const directoryUrl = acmeUrl.directory();
  return {
    directoryUrl,
    clientIdentifier,
    payload: {
      PayloadType: "com.apple.security.acme",
      PayloadVersion: 1,
      PayloadIdentifier: `${req.identifierBase ?? "com.openenroll"}.acme.${uuid}`,
      PayloadUUID: uuid,
      PayloadDisplayName: "Device identity (ACME)",
      DirectoryURL: directoryUrl,
      ClientIdentifier: clientIdentifier,
      KeySize: keySize,
      KeyType: "ECSECPrimeRandom",
      HardwareBound: true,
      Attest: true,
      Subject: appleSubject,
      // Signing only: an EC key does not encipher.
      UsageFlags: 1,
      ExtendedKeyUsage: [EKU.clientAuth],
      AllowAllAppsAccess: false,
    },
  };
}

/**
 * The device an ACME certificate was issued for: the enrollment's UDID and serial number (the
 * MDM UDID, which a Mac's attestation does not carry) and what Apple attested. For
 * Authenticate, which refuses a certificate presented under another UDID. Null: not issued
 * through device-attest-01.
 */
export async function acmeBoundDevice(certSerial: string): Promise<{ udid: string | null; serialNumber: string | null; attestedSerialNumber: string | null; attestedUdid: string | null } | null> {
  const order = await db().acmeOrder.findFirst({ where: { certSerial: certSerial.toLowerCase(), status: "valid" }, select: { id: true, enrollmentId: true } });
  if (!order) return null;
  const authz = await db().acmeAuthorization.findFirst({ where: { orderId: order.id, identifierType: "permanent-identifier" }, select: { attestation: true } });
  if (!authz?.attestation) return null;
  const attested = JSON.parse(authz.attestation) as { serialNumber: string | null; udid: string | null };
  const enrollment = order.enrollmentId ? await db().acmeEnrollment.findUnique({ where: { id: order.enrollmentId }, select: { udid: true, serialNumber: true } }) : null;
  return { udid: enrollment?.udid ?? null, serialNumber: enrollment?.serialNumber ?? attested.serialNumber, attestedSerialNumber: attested.serialNumber, attestedUdid: attested.udid };
}
