// One device as the portal and the API show it: identity, certificate, group, installed
// profiles, command history and the enrollment-log lines that name it.
import { db } from "../db/client";
import { notFound } from "../errors";
import { queryLog, type LogLine } from "../log/query";
import { listReEnrollments, type ReEnrollmentSummary } from "../mdm/reenrollment";
import { actionDevice, availableActions, type DeviceAction } from "../mdm/deviceActions";
import type { StoredAttestation } from "../mdm/deviceAttestation";
import { DEVICE_ROW_SELECT, deviceRowJson, type DeviceRow } from "./devices";

export interface InstalledProfile {
  identifier: string;
  name: string | null;
  organization: string | null;
  managed: boolean | null;
}

export interface DeviceCommand {
  id: string;
  uuid: string;
  requestType: string;
  status: string;
  policyName: string | null;
  createdAt: Date;
  sentAt: Date | null;
  completedAt: Date | null;
  errorChain: string | null;
}

export interface DeviceCertificate {
  serial: string;
  subject: string;
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  revokedAt: Date | null;
  revocationReason: string | null;
  profileName: string | null;
  current: boolean;
}

/** A table row (lib/inventory/devices.ts DeviceRow) plus what only the device page shows. */
export interface DeviceDetail extends DeviceRow {
  enrollmentId: string | null;
  buildVersion: string | null;
  token: { id: string; name: string } | null;
  user: { id: string; identifier: string; managedAppleId: string | null } | null;
  /** The person the device was enrolled for (per-person link or account-driven user). */
  personEmail: string | null;
  /** Terms accepted for this enrollment: version (SHA-256 of the text), when, by whom. */
  terms: { version: string; acceptedAt: Date | null; acceptedBy: string | null } | null;
  topic: string | null;
  hasPushToken: boolean;
  /** The last push sent (or tried), APNs' answer, and since when APNs calls the token dead. */
  lastPushedAt: Date | null;
  lastPushResult: string | null;
  pushUnreachableAt: Date | null;
  createdAt: Date;
  certificates: DeviceCertificate[];
  /** Authenticates from new identities for this device, newest first (held ones wait for approval). */
  reEnrollments: ReEnrollmentSummary[];
  installedProfiles: InstalledProfile[];
  /** Last DeviceInformation / SecurityInfo values, flattened to strings for display. */
  info: Record<string, string>;
  commands: DeviceCommand[];
  /** The actions Apple's schemas allow for this device (lib/mdm/deviceActions.ts). */
  actions: DeviceAction[];
  /** macOS user channels (UserAuthenticate / user-channel TokenUpdate), without their push secrets. */
  userChannels: { userChannelId: string; userShortName: string | null; userLongName: string | null; lastSeenAt: Date | null }[];
  log: LogLine[];
  /** Managed Device Attestation: the last verdict ("verified", "failed", "mismatch"), when, and what Apple attested. */
  attestation: {
    status: string | null;
    attestedAt: Date | null;
    requestedAt: Date | null;
    pending: boolean;
    serialNumber: string | null;
    udid: string | null;
    osVersion: string | null;
    sepOsVersion: string | null;
    bootSecurity: StoredAttestation["bootSecurity"] | null;
    cached: boolean;
    problem: string | null;
    /** "acme": from the identity certificate's device-attest-01; "device-information": requested on demand. */
    source: string | null;
  } | null;
}

function parseJson(text: string | null): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function str(v: unknown): string | null {
  return typeof v === "string" && v ? v : null;
}

/** Accepts the ProfileList result's ProfileList array (or a { ProfileList } wrapper). */
export function parseInstalledProfiles(text: string | null): InstalledProfile[] {
  const parsed = parseJson(text);
  const list = Array.isArray(parsed)
    ? parsed
    : parsed && typeof parsed === "object" && Array.isArray((parsed as { ProfileList?: unknown }).ProfileList)
      ? (parsed as { ProfileList: unknown[] }).ProfileList
      : [];
  return list
    .filter((p): p is Record<string, unknown> => !!p && typeof p === "object")
    .map((p) => ({
      identifier: str(p.PayloadIdentifier) ?? str(p.identifier) ?? "(no identifier)",
      name: str(p.PayloadDisplayName) ?? str(p.name),
      organization: str(p.PayloadOrganization),
      managed: typeof p.IsManaged === "boolean" ? p.IsManaged : null,
    }));
}

export function flattenInfo(text: string | null): Record<string, string> {
  const parsed = parseJson(text);
  const out: Record<string, string> = {};
  const walk = (prefix: string, v: unknown, depth: number) => {
    if (v === null || v === undefined) return;
    if (typeof v === "object" && !Array.isArray(v) && depth < 3) {
      for (const [k, inner] of Object.entries(v as Record<string, unknown>)) walk(prefix ? `${prefix}.${k}` : k, inner, depth + 1);
    } else {
      out[prefix] = typeof v === "string" ? v : JSON.stringify(v);
    }
  };
  if (parsed && typeof parsed === "object") walk("", parsed, 0);
  return out;
}

/** By database id, check-in identifier, or UDID. */
export async function findDeviceId(key: string): Promise<string | null> {
  const d = await db().device.findFirst({ where: { OR: [{ id: key }, { identifier: key }, { udid: key }] }, select: { id: true } });
  return d?.id ?? null;
}

export async function getDeviceDetail(key: string, opts: { commands?: number; logLines?: number } = {}): Promise<DeviceDetail> {
  const id = await findDeviceId(key);
  if (!id) throw notFound("device");
  const d = await db().device.findUnique({
    where: { id },
    select: {
      ...DEVICE_ROW_SELECT,
      enrollmentId: true,
      buildVersion: true,
      topic: true,
      createdAt: true,
      pushToken: true,
      lastPushedAt: true,
      lastPushResult: true,
      pushUnreachableAt: true,
      certSerial: true,
      installedProfiles: true,
      info: true,
      personEmail: true,
      termsHash: true,
      termsAcceptedAt: true,
      termsAcceptedBy: true,
      unlockTokenEnc: true,
      attestationStatus: true,
      attestedAt: true,
      attestationRequestedAt: true,
      attestationNonce: true,
      attestation: true,
      token: { select: { id: true, name: true } },
      user: { select: { id: true, identifier: true, managedAppleId: true } },
      certificates: { orderBy: { issuedAt: "desc" }, include: { profile: { select: { name: true } } } },
      // Without results: an answer can be megabytes (app lists); they come on request (commands/{uuid}).
      commands: {
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: opts.commands ?? 50,
        select: { id: true, uuid: true, requestType: true, status: true, createdAt: true, sentAt: true, completedAt: true, errorChain: true, policy: { select: { name: true } } },
      },
      userChannels: { orderBy: { createdAt: "asc" }, select: { userChannelId: true, userShortName: true, userLongName: true, lastSeenAt: true } },
    },
  });
  if (!d) throw notFound("device");
  const log = opts.logLines === 0 ? { lines: [] } : await queryLog({ device: d.identifier }, { limit: opts.logLines ?? 100 });
  const reEnrollments = await listReEnrollments(d.id);
  // Only selected columns reach the result: the push token and other device secrets stay out.
  const {
    pushToken,
    certSerial,
    installedProfiles,
    info,
    unlockTokenEnc,
    certificates,
    commands,
    termsHash,
    termsAcceptedAt,
    termsAcceptedBy,
    attestationStatus,
    attestedAt,
    attestationRequestedAt,
    attestationNonce,
    attestation,
    ...base
  } = d;
  const att = (parseJson(attestation) ?? {}) as StoredAttestation;
  return {
    ...base,
    attestation:
      attestationStatus || attestationNonce
        ? {
            status: attestationStatus,
            attestedAt,
            requestedAt: attestationRequestedAt,
            pending: !!attestationNonce,
            serialNumber: att.serialNumber ?? null,
            udid: att.udid ?? null,
            osVersion: att.osVersion ?? null,
            sepOsVersion: att.sepOsVersion ?? null,
            bootSecurity: att.bootSecurity ?? null,
            cached: !!att.cached,
            problem: att.problem ?? null,
            source: att.source ?? null,
          }
        : null,
    terms: termsHash ? { version: termsHash, acceptedAt: termsAcceptedAt, acceptedBy: termsAcceptedBy } : null,
    actions:
      d.status === "UNENROLLED"
        ? []
        : availableActions(
            actionDevice({ platform: d.platform, enrollmentType: d.enrollmentType, info, unlockTokenEnc, productName: d.productName, osVersion: d.osVersion, buildVersion: d.buildVersion }),
          ),
    hasPushToken: !!pushToken,
    certificates: certificates.map((c) => ({
      serial: c.serial,
      subject: c.subject,
      fingerprint: c.fingerprint,
      notBefore: c.notBefore,
      notAfter: c.notAfter,
      revokedAt: c.revokedAt,
      revocationReason: c.revocationReason,
      profileName: c.profile?.name ?? null,
      current: c.serial === certSerial,
    })),
    reEnrollments,
    installedProfiles: parseInstalledProfiles(installedProfiles),
    info: flattenInfo(info),
    commands: commands.map((c) => ({
      id: c.id,
      uuid: c.uuid,
      requestType: c.requestType,
      status: c.status,
      policyName: c.policy?.name ?? null,
      createdAt: c.createdAt,
      sentAt: c.sentAt,
      completedAt: c.completedAt,
      errorChain: c.errorChain,
    })),
    log: log.lines,
  };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** JSON shape for GET /api/v1/devices/{udid}. */
export function deviceDetailJson(d: DeviceDetail) {
  return {
    ...deviceRowJson(d),
    enrollmentId: d.enrollmentId,
    buildVersion: d.buildVersion,
    token: d.token,
    user: d.user ? { identifier: d.user.identifier, managedAppleId: d.user.managedAppleId } : null,
    personEmail: d.personEmail,
    terms: d.terms ? { version: d.terms.version, acceptedAt: iso(d.terms.acceptedAt), acceptedBy: d.terms.acceptedBy } : null,
    certificates: d.certificates.map((c) => ({ ...c, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), revokedAt: iso(c.revokedAt) })),
    installedProfiles: d.installedProfiles,
    info: d.info,
    push: { hasToken: d.hasPushToken, lastPushedAt: iso(d.lastPushedAt), lastAnswer: d.lastPushResult, reachable: d.hasPushToken && !d.pushUnreachableAt, unreachableSince: iso(d.pushUnreachableAt) },
    actions: d.actions,
    attestation: d.attestation ? { ...d.attestation, attestedAt: iso(d.attestation.attestedAt), requestedAt: iso(d.attestation.requestedAt) } : null,
    commands: d.commands.map((c) => ({
      uuid: c.uuid,
      requestType: c.requestType,
      status: c.status,
      policy: c.policyName,
      createdAt: c.createdAt.toISOString(),
      sentAt: iso(c.sentAt),
      completedAt: iso(c.completedAt),
      errorChain: c.errorChain,
    })),
  };
}

/** Throws 404 unless the certificate (serial, any case) was issued to this device. */
export async function assertDeviceCertificate(deviceId: string, serial: string): Promise<void> {
  const cert = await db().certificate.findFirst({ where: { serial: serial.toLowerCase(), deviceId }, select: { serial: true } });
  if (!cert) throw notFound("certificate of this device");
}
