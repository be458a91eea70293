// Re-enrollment: an Authenticate that binds a known device record (same UDID or
// EnrollmentID) to a new identity certificate. The new identity inherits nothing the old
// one had: the live command queue is dropped, the escrowed bootstrap token, push
// credentials and unlock token are cleared, every other certificate of the device is
// revoked (superseded) so it can no longer speak for it, and the group's policies are
// applied once more at the next TokenUpdate. Who may do this is a setting
// (lib/settings/reenrollment.ts); an identity the setting does not allow is held: it gets
// 200 answers and nothing else (a 401 or 403 would make the device unenroll, Apple's
// ErrorUnrecognizedDevice) until an admin approves or denies it on the device's page.
import type { Device, EnrollmentType, ReEnrollment } from "../db/generated/sqlite/client";
import { db } from "../db/client";
import { conflict, notFound } from "../errors";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { bindCertificateToDevice, getCertificate, type CertificateRow } from "../pki/certificates";
import { revokeCertificates } from "../pki/revocation";
import { seal } from "../secrets/sealed";
import { getReEnrollmentSettings, REENROLLMENT_POLICY_LABELS, type ReEnrollmentPolicy } from "../settings/reenrollment";
import { cancelLiveCommands } from "./commands";
import { queueGroupPolicies } from "./policies";
import { requestPush } from "./push";

/** Sealing contexts of the device secrets a check-in stores. */
export const SEALED_CONTEXT = { bootstrap: "bootstrap-token", unlock: "unlock-token" } as const;

/** RFC 5280 CRLReason for a certificate replaced by a new enrollment of the same device. */
export const SUPERSEDED = "superseded" as const;

/** What an Authenticate says about the device and its enrollment (the device row's fields). */
export interface AuthenticateFields {
  udid: string | null;
  enrollmentId: string | null;
  serialNumber: string | null;
  model: string | null;
  modelName: string | null;
  productName: string | null;
  osVersion: string | null;
  buildVersion: string | null;
  deviceName: string | null;
  platform: string | null;
  enrollmentType: EnrollmentType;
  groupId: string | null;
  tokenId: string | null;
  userId: string | null;
  /** An account-driven Mac: its device channel carries no access token (checkBearer). */
  deviceChannelCertOnly: boolean | null;
  topic: string | null;
}

export type Verdict = { apply: boolean; why: string };

/**
 * Whether a new identity may take over the known device now. A device that checked out has
 * no live enrollment to protect; otherwise the setting decides. Tokens and users are
 * compared by id: an enrollment without either (a STATIC challenge without reference)
 * never counts as the same enrollment.
 */
export function reEnrollmentVerdict(existing: Pick<Device, "status" | "tokenId" | "userId">, incoming: { tokenId: string | null; userId: string | null }, policy: ReEnrollmentPolicy): Verdict {
  if (existing.status === "UNENROLLED") return { apply: true, why: "the device had checked out" };
  const setting = `setting "${REENROLLMENT_POLICY_LABELS[policy].title}"`;
  if (policy === "anyone") return { apply: true, why: setting };
  if (policy === "approval") return { apply: false, why: `${setting}: every re-enrollment waits for an admin` };
  if (existing.tokenId && incoming.tokenId === existing.tokenId) return { apply: true, why: "same enrollment token" };
  if (existing.userId && incoming.userId === existing.userId) return { apply: true, why: "same signed-in user" };
  return { apply: false, why: `${setting}: the new identity comes from another enrollment link or user than the device's` };
}

async function describeSource(tokenId: string | null, userId: string | null): Promise<string> {
  const parts: string[] = [];
  if (tokenId) {
    const token = await db().enrollmentToken.findUnique({ where: { id: tokenId }, select: { name: true } });
    parts.push(`token ${JSON.stringify(token?.name ?? "(deleted)")} (${tokenId})`);
  }
  if (userId) {
    const user = await db().user.findUnique({ where: { id: userId }, select: { identifier: true } });
    parts.push(`user ${user?.identifier ?? userId}`);
  }
  return parts.length ? parts.join(", ") : "no enrollment token or user";
}

async function describeBoth(r: Pick<ReEnrollment, "previousSerial" | "previousTokenId" | "previousUserId" | "newSerial" | "newTokenId" | "newUserId" | "remoteAddr">): Promise<string> {
  const prev = r.previousSerial ? `certificate ${r.previousSerial}` : "no certificate";
  return `from ${prev} (${await describeSource(r.previousTokenId, r.previousUserId)}) to certificate ${r.newSerial} (${await describeSource(r.newTokenId, r.newUserId)}), client address ${r.remoteAddr ?? "unknown"}`;
}

interface Incoming {
  cert: CertificateRow;
  fields: AuthenticateFields;
  remoteAddr: string | null;
}

function recordFor(device: Device, incoming: Incoming) {
  return {
    deviceId: device.id,
    newSerial: incoming.cert.serial,
    previousSerial: device.certSerial,
    newTokenId: incoming.fields.tokenId,
    newUserId: incoming.fields.userId,
    previousTokenId: device.tokenId,
    previousUserId: device.userId,
    remoteAddr: incoming.remoteAddr,
    authenticate: JSON.stringify(incoming.fields),
  };
}

/**
 * Hands the device record to the new identity: revoke the device's other certificates,
 * drop its live queue, clear its secrets, take the Authenticate's fields (status PENDING,
 * so the next TokenUpdate applies the group's policies once), and only then bind the new
 * certificate. Records the re-enrollment (or completes the held one) and logs a WARNING.
 */
async function handOver(device: Device, incoming: Incoming, how: { holdId?: string; decidedBy: string; why: string }): Promise<ReEnrollment> {
  const others = await db().certificate.findMany({ where: { deviceId: device.id, revokedAt: null, serial: { not: incoming.cert.serial } }, select: { serial: true } });
  const serials = new Set(others.map((c) => c.serial));
  if (device.certSerial && device.certSerial !== incoming.cert.serial) serials.add(device.certSerial);
  // Superseded: the new identity replaces them (no cascade to it); unknown serials are skipped.
  await revokeCertificates([...serials], { code: SUPERSEDED, reason: `superseded by re-enrollment with ${incoming.cert.serial}` });
  const dropped = await cancelLiveCommands(device.id);
  await db().device.update({
    where: { id: device.id },
    data: { ...incoming.fields, status: "PENDING", lastSeenAt: new Date(), pushToken: null, pushMagic: null, unlockTokenEnc: null, bootstrapTokenEnc: null },
  });
  await bindCertificateToDevice(incoming.cert.serial, device.id);
  const decided = { status: "APPLIED" as const, decidedBy: how.decidedBy, decidedAt: new Date() };
  // A held one names the certificate and enrollment the device has now, not at hold time.
  const previous = { previousSerial: device.certSerial, previousTokenId: device.tokenId, previousUserId: device.userId };
  const row = how.holdId
    ? await db().reEnrollment.update({ where: { id: how.holdId }, data: { ...decided, ...previous } })
    : await db().reEnrollment.create({ data: { ...recordFor(device, incoming), ...decided } });
  await writeEnrollmentLog({
    step: "checkin",
    outcome: "WARNING",
    reason: "device_reenrolled",
    message:
      `Re-enrollment (${how.why}): device moved ${await describeBoth(row)}; ` +
      `${dropped} queued command(s) dropped; bootstrap token, push token, push magic and unlock token cleared; ` +
      `${serials.size ? `certificate${serials.size > 1 ? "s" : ""} ${[...serials].join(", ")} revoked (${SUPERSEDED})` : "no previous certificate to revoke"}; group policies apply again at TokenUpdate`,
    deviceIdentifier: device.identifier,
    tokenId: incoming.fields.tokenId,
    remoteAddr: incoming.remoteAddr,
  });
  return row;
}

/**
 * Authenticate from a new identity for a known device: hand it over when the setting
 * allows, else hold it. Returns what happened (the caller answers 200 either way).
 */
export async function reEnroll(device: Device, incoming: Incoming): Promise<"applied" | "held"> {
  const held = await db().reEnrollment.findUnique({ where: { newSerial: incoming.cert.serial } });
  if (held?.status === "PENDING") {
    // The held identity authenticated again: keep its latest fields, still held.
    await db().reEnrollment.update({ where: { id: held.id }, data: { authenticate: JSON.stringify(incoming.fields), remoteAddr: incoming.remoteAddr } });
    return "held";
  }
  const { policy } = await getReEnrollmentSettings();
  const verdict = reEnrollmentVerdict(device, incoming.fields, policy);
  if (verdict.apply) {
    await handOver(device, incoming, { decidedBy: "automatic", why: verdict.why });
    return "applied";
  }
  const row = await db().reEnrollment.create({ data: { ...recordFor(device, incoming), status: "PENDING" } });
  await writeEnrollmentLog({
    step: "checkin",
    outcome: "WARNING",
    reason: "reenrollment_held",
    message: `Re-enrollment held for an admin's approval (${verdict.why}): ${await describeBoth(row)}. The device keeps its current identity; the new one gets nothing until approved.`,
    deviceIdentifier: device.identifier,
    tokenId: incoming.fields.tokenId,
    remoteAddr: incoming.remoteAddr,
  });
  return "held";
}

/** The held re-enrollment of this certificate, if it waits for an admin. */
export async function heldReEnrollmentOf(cert: CertificateRow): Promise<(ReEnrollment & { device: Device }) | null> {
  if (cert.deviceId) return null;
  const row = await db().reEnrollment.findUnique({ where: { newSerial: cert.serial }, include: { device: true } });
  return row?.status === "PENDING" ? row : null;
}

/** The enrollment a held identity's Authenticate asked for, as checkBearer judges its later messages. */
export function heldEnrollment(held: ReEnrollment): Pick<Device, "userId" | "enrollmentType" | "deviceChannelCertOnly"> {
  const fields = JSON.parse(held.authenticate) as Partial<AuthenticateFields>;
  return { userId: fields.userId ?? held.newUserId, enrollmentType: fields.enrollmentType ?? "OTA", deviceChannelCertOnly: fields.deviceChannelCertOnly ?? null };
}

/** A held identity's TokenUpdate / SetBootstrapToken: kept on the hold (sealed) for approval. */
export async function keepHeldCheckin(holdId: string, data: { pushToken?: string; pushMagic?: string; topic?: string; unlockToken?: Uint8Array; bootstrapToken?: Uint8Array | null }): Promise<void> {
  await db().reEnrollment.update({
    where: { id: holdId },
    data: {
      ...(data.pushToken !== undefined ? { pushToken: data.pushToken, pushMagic: data.pushMagic ?? null, topic: data.topic ?? null } : {}),
      ...(data.unlockToken ? { unlockTokenEnc: seal(data.unlockToken, SEALED_CONTEXT.unlock) } : {}),
      ...(data.bootstrapToken !== undefined ? { bootstrapTokenEnc: data.bootstrapToken?.byteLength ? seal(data.bootstrapToken, SEALED_CONTEXT.bootstrap) : null } : {}),
    },
  });
}

/**
 * Completes enrollment once: PENDING/UNENROLLED → ENROLLED and the group's policies queued
 * (and pushed). Returns the number queued, or null when another request already did it.
 */
export async function completeEnrollment(deviceId: string, groupId: string | null): Promise<number | null> {
  const { count } = await db().device.updateMany({ where: { id: deviceId, status: { in: ["PENDING", "UNENROLLED"] } }, data: { status: "ENROLLED", enrolledAt: new Date() } });
  if (count !== 1) return null;
  return queueGroupPolicies(deviceId, groupId);
}

async function pendingHold(id: string, deviceId?: string): Promise<ReEnrollment & { device: Device }> {
  const row = await db().reEnrollment.findUnique({ where: { id }, include: { device: true } });
  if (!row || (deviceId !== undefined && row.deviceId !== deviceId)) throw notFound("re-enrollment");
  if (row.status !== "PENDING") throw conflict("reenrollment_decided", `this re-enrollment was already ${row.status === "APPLIED" ? "approved" : "denied"}`);
  return row;
}

/** Claims a held re-enrollment for one decision; a second, concurrent decision gets 409. */
async function claim(id: string, status: "APPLIED" | "DENIED", actor: string): Promise<void> {
  const { count } = await db().reEnrollment.updateMany({ where: { id, status: "PENDING" }, data: { status, decidedBy: actor, decidedAt: new Date() } });
  if (count !== 1) throw conflict("reenrollment_decided", "this re-enrollment was decided meanwhile");
}

/**
 * An admin approves a held re-enrollment: the hand-over happens now, with what the new
 * identity sent meanwhile. `deviceId`, when given, must be the hold's device (portal forms).
 */
export async function approveReEnrollment(id: string, actor: string, deviceId?: string): Promise<void> {
  const hold = await pendingHold(id, deviceId);
  const cert = await getCertificate(hold.newSerial);
  if (!cert || cert.revokedAt || cert.notAfter.getTime() < Date.now()) {
    throw conflict("reenrollment_certificate_invalid", `the new identity certificate ${hold.newSerial} is revoked or expired; deny this re-enrollment instead`);
  }
  await claim(id, "APPLIED", actor);
  const fields = JSON.parse(hold.authenticate) as AuthenticateFields;
  await handOver(hold.device, { cert, fields, remoteAddr: hold.remoteAddr }, { holdId: hold.id, decidedBy: actor, why: `approved by ${actor}` });
  if (hold.pushToken && hold.pushMagic) {
    await db().device.update({
      where: { id: hold.deviceId },
      data: { pushToken: hold.pushToken, pushMagic: hold.pushMagic, topic: hold.topic ?? fields.topic, unlockTokenEnc: hold.unlockTokenEnc, bootstrapTokenEnc: hold.bootstrapTokenEnc },
    });
    const queued = await completeEnrollment(hold.deviceId, fields.groupId);
    if (queued !== null) requestPush([hold.deviceId]);
    await writeEnrollmentLog({
      step: "checkin",
      outcome: "OK",
      message: `Approved re-enrollment: the TokenUpdate the new identity sent while held was applied; device enrolled; queued ${queued ?? 0} group polic${queued === 1 ? "y" : "ies"}`,
      deviceIdentifier: hold.device.identifier,
      tokenId: fields.tokenId,
    });
  } else if (hold.bootstrapTokenEnc) {
    await db().device.update({ where: { id: hold.deviceId }, data: { bootstrapTokenEnc: hold.bootstrapTokenEnc } });
  }
  // The hold's copies of the secrets are not needed any more.
  await db().reEnrollment.update({ where: { id }, data: { pushToken: null, pushMagic: null, unlockTokenEnc: null, bootstrapTokenEnc: null } });
}

/** An admin denies a held re-enrollment: the new certificate is revoked; the device keeps its identity. */
export async function denyReEnrollment(id: string, actor: string, deviceId?: string): Promise<void> {
  const hold = await pendingHold(id, deviceId);
  await claim(id, "DENIED", actor);
  await revokeCertificates([hold.newSerial], { reason: `re-enrollment denied by ${actor}` });
  await db().reEnrollment.update({ where: { id }, data: { pushToken: null, pushMagic: null, unlockTokenEnc: null, bootstrapTokenEnc: null } });
  await writeEnrollmentLog({
    step: "checkin",
    outcome: "WARNING",
    reason: "reenrollment_denied",
    message: `Re-enrollment denied by ${actor}: ${await describeBoth(hold)}; certificate ${hold.newSerial} revoked, the device keeps its current identity`,
    deviceIdentifier: hold.device.identifier,
    tokenId: hold.newTokenId,
    remoteAddr: hold.remoteAddr,
  });
}

/** A held identity checked out (its profile was removed): the hold is moot. */
export async function withdrawHeldReEnrollment(hold: ReEnrollment & { device: Device }): Promise<void> {
  await denyReEnrollment(hold.id, "the device (CheckOut)");
}

export interface ReEnrollmentSummary {
  id: string;
  status: ReEnrollment["status"];
  newSerial: string;
  previousSerial: string | null;
  newSource: string;
  previousSource: string;
  remoteAddr: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  createdAt: Date;
  /** Set while held: the identity has sent its push token (approval enrolls it at once). */
  tokenUpdateReceived: boolean;
}

/** The device's re-enrollments, newest first (device page). */
export async function listReEnrollments(deviceId: string, take = 20): Promise<ReEnrollmentSummary[]> {
  const rows = await db().reEnrollment.findMany({ where: { deviceId }, orderBy: { createdAt: "desc" }, take });
  return Promise.all(
    rows.map(async (r) => ({
      id: r.id,
      status: r.status,
      newSerial: r.newSerial,
      previousSerial: r.previousSerial,
      newSource: await describeSource(r.newTokenId, r.newUserId),
      previousSource: await describeSource(r.previousTokenId, r.previousUserId),
      remoteAddr: r.remoteAddr,
      decidedBy: r.decidedBy,
      decidedAt: r.decidedAt,
      createdAt: r.createdAt,
      tokenUpdateReceived: r.pushToken !== null,
    })),
  );
}

/** Dashboard figures: re-enrollments applied since `since`, and those waiting for an admin. */
export async function reEnrollmentCounts(since: Date): Promise<{ applied: number; pending: number }> {
  const [applied, pending] = await Promise.all([db().reEnrollment.count({ where: { status: "APPLIED", createdAt: { gte: since } } }), db().reEnrollment.count({ where: { status: "PENDING" } })]);
  return { applied, pending };
}

export interface RecentReEnrollment {
  id: string;
  status: ReEnrollment["status"];
  createdAt: Date;
  device: { id: string; identifier: string; name: string };
}

/** The latest re-enrollments across devices, those waiting for an admin first (dashboard). */
export async function recentReEnrollments(take = 5): Promise<RecentReEnrollment[]> {
  const select = { id: true, status: true, createdAt: true, device: { select: { id: true, identifier: true, deviceName: true, serialNumber: true } } } as const;
  const [pending, recent] = await Promise.all([
    db().reEnrollment.findMany({ where: { status: "PENDING" }, orderBy: { createdAt: "desc" }, take, select }),
    db().reEnrollment.findMany({ where: { status: { not: "PENDING" } }, orderBy: { createdAt: "desc" }, take, select }),
  ]);
  return [...pending, ...recent].slice(0, take).map((r) => ({
    id: r.id,
    status: r.status,
    createdAt: r.createdAt,
    device: { id: r.device.id, identifier: r.device.identifier, name: r.device.deviceName ?? r.device.serialNumber ?? r.device.identifier },
  }));
}
