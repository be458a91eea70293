// Attestation on demand: DeviceInformation with DevicePropertiesAttestation and a fresh
// DeviceAttestationNonce, and the verdict on what the device returns. Apple ("Validating a
// Managed Device Attestation"): the chain must lead to the Apple Enterprise Attestation Root CA,
// and for DeviceInformation the freshness code is the DeviceAttestationNonce itself (for ACME it
// is the SHA-256 of the challenge token). A device generates at most one attestation per 7 days
// and otherwise returns the cached one, whose freshness code is an earlier nonce of ours.
import crypto from "node:crypto";
import { attestationForCertificate } from "../acme/admin";
import { AttestationError, attestationRoots, type AttestedDevice, verifyAppleAttestationChain } from "../attestation/appleAttestation";
import { attestSupport } from "../attestation/deviceSupport";
import type { Device } from "../db/generated/sqlite/client";
import { db } from "../db/client";
import { AppError, notFound } from "../errors";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { REASONS } from "../log/reasons";
import type { PlistDict } from "../plist/plist";
import { enqueueCommand } from "./commands";

/** Apple: up to 32 bytes. */
const NONCE_BYTES = 32;
/** Nonces of earlier requests kept per device, to recognise a cached attestation. */
const KEEP_NONCES = 8;

export const ATTESTATION_QUERIES = ["DevicePropertiesAttestation", "SerialNumber", "UDID", "OSVersion", "BuildVersion", "ProductName"] as const;

export type AttestationStatus = "requested" | "verified" | "failed" | "mismatch";

/** What the device page and the API show: what Apple attested and when. */
export interface StoredAttestation {
  serialNumber?: string;
  udid?: string;
  osVersion?: string;
  sepOsVersion?: string;
  softwareUpdateDeviceId?: string;
  bootSecurity?: AttestedDevice["bootSecurity"];
  /** Hex of the freshness code; "cached" when Apple returned an earlier attestation of ours. */
  freshness?: string;
  cached?: boolean;
  /** Why the last attestation was refused or flagged. */
  problem?: string;
  /** Hex nonces we sent, newest first (kept to recognise cached answers). */
  sentNonces?: string[];
  /** Where the evidence came from: the identity certificate's ACME device-attest-01, or DeviceInformation. */
  source?: "acme" | "device-information";
  /** ACME: the identity certificate the attestation was issued for. */
  certSerial?: string;
}

function stored(text: string | null): StoredAttestation {
  try {
    const v = text ? (JSON.parse(text) as unknown) : null;
    return v && typeof v === "object" ? (v as StoredAttestation) : {};
  } catch {
    return {};
  }
}

function attestModel(d: Pick<Device, "productName" | "osVersion" | "buildVersion">) {
  return attestSupport({ product: d.productName, osVersion: d.osVersion, buildVersion: d.buildVersion });
}

/** Whether the device page offers "Request attestation" (model and OS as last reported). */
export function canRequestAttestation(d: Pick<Device, "productName" | "osVersion" | "buildVersion" | "enrollmentType">): boolean {
  return attestModel(d).ok;
}

/** Queues DeviceInformation with a fresh nonce; the answer is verified in recordAttestation. */
export async function requestDeviceAttestation(key: string, actor: string): Promise<{ uuid: string; deviceId: string }> {
  const d = await db().device.findFirst({ where: { OR: [{ id: key }, { identifier: key }] } });
  if (!d) throw notFound("device");
  if (d.status === "UNENROLLED") throw new AppError(409, "device_unenrolled", "the device is unenrolled; it no longer accepts commands");
  const support = attestModel(d);
  if (!support.ok)
    throw new AppError(409, "attestation_unsupported", `this device cannot attest: ${support.why} (iPhone/iPad A11+ on iOS 16+, Apple-silicon Macs on macOS 14+, Apple TV A12+, Vision Pro)`);
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const prev = stored(d.attestation);
  const sentNonces = [nonce.toString("hex"), ...(prev.sentNonces ?? [])].slice(0, KEEP_NONCES);
  await db().device.update({
    where: { id: d.id },
    data: { attestationNonce: nonce.toString("hex"), attestationRequestedAt: new Date(), attestation: JSON.stringify({ ...prev, sentNonces }) },
  });
  const { uuid } = await enqueueCommand(d.id, "DeviceInformation", { Queries: [...ATTESTATION_QUERIES], DeviceAttestationNonce: new Uint8Array(nonce) });
  await writeEnrollmentLog({
    step: "attestation",
    outcome: "OK",
    message: `Attestation requested by ${actor} (DeviceInformation ${uuid} with a fresh DeviceAttestationNonce)`,
    deviceIdentifier: d.identifier,
    tokenId: d.tokenId,
  });
  return { uuid, deviceId: d.id };
}

function chainOf(value: unknown): Buffer[] | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > 8) return null;
  if (!value.every((v) => v instanceof Uint8Array)) return null;
  return value.map((v) => Buffer.from(v as Uint8Array));
}

/**
 * A device that authenticates with an identity certificate issued through ACME device-attest-01
 * is hardware-attested by that issuance (the ACME server verified Apple's attestation and matched
 * it to the enrollment): recorded like an on-demand attestation. False when the certificate was
 * not issued that way.
 */
export async function adoptAcmeAttestation(device: Pick<Device, "id" | "identifier" | "tokenId" | "attestation">, certSerial: string): Promise<boolean> {
  const a = await attestationForCertificate(certSerial);
  if (!a) return false;
  const prev = stored(device.attestation);
  const data: StoredAttestation = {
    serialNumber: a.serialNumber ?? undefined,
    udid: a.udid ?? undefined,
    osVersion: a.osVersion ?? undefined,
    sepOsVersion: a.sepOsVersion ?? undefined,
    source: "acme",
    certSerial,
    sentNonces: prev.sentNonces,
  };
  const attestedAt = a.attestedAt ? new Date(a.attestedAt) : a.issuedAt;
  await db().device.update({ where: { id: device.id }, data: { attestationStatus: "verified", attestedAt, attestation: JSON.stringify(data) } });
  const what = [a.serialNumber && `serial ${a.serialNumber}`, a.udid && `UDID ${a.udid}`, a.osVersion && `OS ${a.osVersion}`, a.sepOsVersion && `SEP OS ${a.sepOsVersion}`].filter(Boolean).join(", ");
  await writeEnrollmentLog({
    step: "attestation",
    outcome: "OK",
    message: `Hardware-attested: identity certificate ${certSerial} was issued through ACME device-attest-01 (${what})`,
    deviceIdentifier: device.identifier,
    tokenId: device.tokenId,
  });
  return true;
}

/** Info of the last DeviceInformation (for a Mac's ProvisioningUDID). */
function provisioningUdid(info: string | null, answer: PlistDict): string | null {
  if (typeof answer.ProvisioningUDID === "string") return answer.ProvisioningUDID;
  try {
    const v = (JSON.parse(info ?? "{}") as { DeviceInformation?: { ProvisioningUDID?: unknown } }).DeviceInformation?.ProvisioningUDID;
    return typeof v === "string" ? v : null;
  } catch {
    return null;
  }
}

/**
 * A DeviceInformation answer that carries DevicePropertiesAttestation: verifies the chain and
 * the freshness code, compares serial and UDID with the device record, and stores the verdict.
 */
export async function recordAttestation(device: Device, answer: PlistDict): Promise<AttestationStatus> {
  const prev = stored(device.attestation);
  const log = (outcome: "OK" | "WARNING" | "ERROR", message: string, reason?: "attestation_failed" | "attestation_mismatch") =>
    writeEnrollmentLog({
      step: "attestation",
      outcome,
      reason: reason ?? null,
      message: reason ? `${message}. Fix: ${REASONS[reason].fix}` : message,
      deviceIdentifier: device.identifier,
      tokenId: device.tokenId,
    });
  const save = (status: AttestationStatus, data: StoredAttestation, attestedAt?: Date) =>
    db().device.update({
      where: { id: device.id },
      data: { attestationStatus: status, attestationNonce: null, attestation: JSON.stringify({ ...data, sentNonces: prev.sentNonces }), ...(attestedAt ? { attestedAt } : {}) },
    });

  const chain = chainOf(answer.DevicePropertiesAttestation);
  if (!chain) {
    await save("failed", { problem: "DevicePropertiesAttestation is not an array of certificates" });
    await log("ERROR", "Attestation refused: DevicePropertiesAttestation is not an array of DER certificates", "attestation_failed");
    return "failed";
  }
  const sent = (prev.sentNonces ?? []).map((h) => Buffer.from(h, "hex"));
  let attested: AttestedDevice;
  let cached = false;
  try {
    const expected = device.attestationNonce ? Buffer.from(device.attestationNonce, "hex") : undefined;
    try {
      attested = verifyAppleAttestationChain(chain, { roots: attestationRoots(), expectedFreshness: expected });
    } catch (err) {
      // Rate-limited devices return their cached attestation: fresh for an earlier nonce of ours.
      if (!(err instanceof AttestationError && err.failure === "attestation-nonce")) throw err;
      attested = verifyAppleAttestationChain(chain, { roots: attestationRoots() });
      const f = attested.freshness;
      if (!f || !sent.some((n) => n.length === f.length && crypto.timingSafeEqual(n, f))) throw err;
      cached = true;
    }
  } catch (err) {
    const e = err instanceof AttestationError ? err : new AttestationError("attestation-malformed", String(err));
    await save("failed", { problem: `${e.failure}: ${e.message}` });
    await log("ERROR", `Attestation refused (${e.failure}): ${e.message}`, "attestation_failed");
    return "failed";
  }
  const data: StoredAttestation = {
    serialNumber: attested.serialNumber,
    udid: attested.udid,
    osVersion: attested.osVersion,
    sepOsVersion: attested.sepOsVersion,
    softwareUpdateDeviceId: attested.softwareUpdateDeviceId,
    bootSecurity: attested.bootSecurity,
    freshness: attested.freshness?.toString("hex"),
    cached,
    source: "device-information",
  };
  // Apple: on a Mac the attested UDID is the ProvisioningUDID, not the MDM UDID.
  const isMac = device.platform === "macOS";
  const expectedUdid = isMac ? provisioningUdid(device.info, answer) : device.udid;
  const problems: string[] = [];
  if (attested.serialNumber && device.serialNumber && attested.serialNumber !== device.serialNumber) problems.push(`serial ${attested.serialNumber} attested, ${device.serialNumber} on record`);
  if (attested.udid && expectedUdid && attested.udid !== expectedUdid) problems.push(`UDID ${attested.udid} attested, ${expectedUdid} on record${isMac ? " (ProvisioningUDID)" : ""}`);
  if (problems.length) {
    await save("mismatch", { ...data, problem: problems.join("; ") });
    await log("ERROR", `Attestation verified but disagrees with the device record: ${problems.join("; ")}`, "attestation_mismatch");
    return "mismatch";
  }
  await save("verified", data, new Date());
  const what = [data.serialNumber && `serial ${data.serialNumber}`, data.udid && `UDID ${data.udid}`, data.osVersion && `OS ${data.osVersion}`, data.sepOsVersion && `sepOS ${data.sepOsVersion}`]
    .filter(Boolean)
    .join(", ");
  await log(
    "OK",
    `Hardware attestation verified (Apple Enterprise Attestation Root CA${cached ? "; Apple returned its cached attestation for an earlier request" : ""}): ${what || "no device properties attested"}`,
  );
  return "verified";
}
