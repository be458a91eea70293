// What certificate policies learn from devices: the InstallProfile result (installed or failed,
// from its ErrorChain), then the device's CertificateList, asked for after installation and on a
// schedule. From the installed certificate's expiry the policy's "redistribute N days before
// expiry" sets when a fresh profile (new challenge) is queued: CAs such as Okta do not renew.
import crypto from "node:crypto";
import { db } from "../db/client";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import type { PlistDict } from "../plist/plist";
import { lookupIssuedCertificate } from "../pki/certificates";
import { sha256Fingerprint } from "../pki/der";
import { getExternalScepProfileRow, pinnedCertificates, recheckPinnedCas } from "../scep/external/profiles";
import { certificateCommand, certificatePolicyConfig } from "./certificatePolicies";
import { enqueueCommands, LIVE_STATUSES } from "./commands";

const DAY_MS = 24 * 60 * 60 * 1000;
/** A redistribution is not repeated within this time while the device has not reported a newer certificate. */
const REDISTRIBUTE_RETRY_MS = DAY_MS;

interface DeviceRef {
  id: string;
  identifier: string;
  groupId: string | null;
}

function firstError(dict: PlistDict): string {
  const chain = Array.isArray(dict.ErrorChain) ? (dict.ErrorChain as PlistDict[]) : [];
  const parts = chain.map((e) => [e.ErrorDomain, e.ErrorCode, e.LocalizedDescription].filter((x) => x !== undefined && x !== null).join(" ")).filter(Boolean);
  return parts.join("; ").slice(0, 500) || "no ErrorChain";
}

async function queueCertificateList(deviceId: string): Promise<void> {
  const live = await db().command.findFirst({ where: { deviceId, requestType: "CertificateList", status: { in: [...LIVE_STATUSES] } }, select: { id: true } });
  if (!live) await enqueueCommands(deviceId, [{ requestType: "CertificateList", params: {} }]);
}

/** Called for every command result (connect.ts). Only certificate-policy commands matter here. */
export async function certificatePolicyResult(device: DeviceRef, cmd: { requestType: string; policyId: string | null }, status: string, dict: PlistDict): Promise<void> {
  if (cmd.requestType === "CertificateList" && status === "Acknowledged" && Array.isArray(dict.CertificateList)) {
    await learnCertificates(device, dict.CertificateList as PlistDict[]);
    return;
  }
  if (cmd.requestType !== "InstallProfile" || !cmd.policyId) return;
  const policy = await db().policy.findUnique({ where: { id: cmd.policyId }, select: { kind: true, name: true } });
  if (policy?.kind !== "CERTIFICATE") return;
  if (status === "Acknowledged") {
    await writeEnrollmentLog({
      step: "certificate_policy",
      outcome: "OK",
      message: `Certificate policy "${policy.name}": the device installed the SCEP profile; asking for its CertificateList`,
      deviceIdentifier: device.identifier,
    });
    await queueCertificateList(device.id);
  } else if (status === "Error" || status === "CommandFormatError") {
    await writeEnrollmentLog({
      step: "certificate_policy",
      outcome: "ERROR",
      reason: "certificate_profile_failed",
      message: `Certificate policy "${policy.name}": the device could not install the certificate: ${firstError(dict)}`,
      deviceIdentifier: device.identifier,
    });
  }
}

/** Matches the reported certificates to the device's certificate policies and schedules redistribution. */
async function learnCertificates(device: DeviceRef, list: PlistDict[]): Promise<void> {
  if (!device.groupId) return;
  const policies = await db().policy.findMany({ where: { groupId: device.groupId, kind: "CERTIFICATE" } });
  // The device's MDM identity certificates are never a policy's, even when the same CA issued
  // them (an external CA for both, or our own): otherwise the identity's expiry would hide the
  // policy certificate's.
  const identities = new Set((await db().certificate.findMany({ where: { deviceId: device.id }, select: { fingerprint: true } })).map((c) => c.fingerprint));
  const reported = list.flatMap((e) => {
    if (!(e.Data instanceof Uint8Array) || identities.has(sha256Fingerprint(e.Data))) return [];
    try {
      return [new crypto.X509Certificate(Buffer.from(e.Data))];
    } catch {
      return [];
    }
  });
  for (const policy of policies) {
    const cfg = certificatePolicyConfig(policy.payload);
    let mine: crypto.X509Certificate[];
    if (cfg.scepProfileId) {
      // Our own CA: the inventory knows which profile issued each certificate.
      mine = [];
      for (const c of reported) if ((await lookupIssuedCertificate(new Uint8Array(c.raw)))?.profileId === cfg.scepProfileId) mine.push(c);
    } else {
      const row = await getExternalScepProfileRow(cfg.externalScepProfileId ?? "");
      if (!row) continue;
      const cas = pinnedCertificates(row)
        .map((d) => new crypto.X509Certificate(d))
        .filter((c) => c.ca);
      mine = reported.filter((c) => !c.ca && cas.some((ca) => c.checkIssued(ca) && c.verify(ca.publicKey)));
    }
    if (mine.length === 0) continue;
    const newest = mine.reduce((a, b) => (new Date(b.validTo) > new Date(a.validTo) ? b : a));
    const notAfter = new Date(newest.validTo);
    const nextRedistributionAt = new Date(notAfter.getTime() - cfg.redistributeDays * DAY_MS);
    const data = { subject: newest.subject.replace(/\n/g, ","), issuer: newest.issuer.replace(/\n/g, ","), serial: newest.serialNumber.toLowerCase(), notAfter, nextRedistributionAt };
    const prev = await db().installedCertificate.findUnique({ where: { deviceId_policyId: { deviceId: device.id, policyId: policy.id } } });
    // A newer certificate than the one redistribution was for: start afresh.
    const renewed = prev && prev.serial !== data.serial;
    await db().installedCertificate.upsert({
      where: { deviceId_policyId: { deviceId: device.id, policyId: policy.id } },
      create: { deviceId: device.id, policyId: policy.id, ...data },
      update: { ...data, ...(renewed ? { lastRedistributedAt: null } : {}) },
    });
  }
  await redistributeDue({ deviceId: device.id });
}

/** Queues a fresh profile for every installed certificate whose redistribution time has come. */
export async function redistributeDue(opts: { deviceId?: string; now?: Date } = {}): Promise<number> {
  const now = opts.now ?? new Date();
  const due = await db().installedCertificate.findMany({
    where: {
      nextRedistributionAt: { lte: now },
      ...(opts.deviceId ? { deviceId: opts.deviceId } : {}),
      OR: [{ lastRedistributedAt: null }, { lastRedistributedAt: { lt: new Date(now.getTime() - REDISTRIBUTE_RETRY_MS) } }],
    },
  });
  let queued = 0;
  for (const ic of due) {
    const policy = await db().policy.findUnique({ where: { id: ic.policyId } });
    const device = await db().device.findUnique({ where: { id: ic.deviceId }, select: { id: true, identifier: true, groupId: true, status: true } });
    if (policy?.kind !== "CERTIFICATE" || !device || device.groupId !== policy.groupId || (device.status !== "ENROLLED" && device.status !== "MANAGED")) continue;
    const days = Math.max(0, Math.floor((ic.notAfter.getTime() - now.getTime()) / DAY_MS));
    const cfg = certificatePolicyConfig(policy.payload);
    const why = `redistributing: certificate ${ic.serial} (${ic.subject}) expires ${ic.notAfter.toISOString()}, in ${days} day(s), within the policy's ${cfg.redistributeDays}`;
    await db().installedCertificate.update({ where: { id: ic.id }, data: { lastRedistributedAt: now } });
    const cmd = await certificateCommand(policy, device.id, why);
    if (!cmd) continue; // the log says why (challenge URL, subject); retried after REDISTRIBUTE_RETRY_MS
    await enqueueCommands(device.id, [cmd]);
    queued++;
  }
  return queued;
}

/**
 * Scheduled (hourly): asks members of groups with certificate policies for their CertificateList
 * once a day, re-checks the pinned CAs, then redistributes what is due.
 */
export async function runCertificatePolicyChecks(now = new Date()): Promise<{ asked: number; redistributed: number }> {
  const groups = await db().policy.findMany({ where: { kind: "CERTIFICATE" }, select: { groupId: true }, distinct: ["groupId"] });
  const devices = await db().device.findMany({ where: { groupId: { in: groups.map((g) => g.groupId) }, status: { in: ["ENROLLED", "MANAGED"] } }, select: { id: true } });
  let asked = 0;
  for (const d of devices) {
    const recent = await db().command.findFirst({ where: { deviceId: d.id, requestType: "CertificateList", createdAt: { gt: new Date(now.getTime() - DAY_MS) } }, select: { id: true } });
    if (recent) continue;
    await queueCertificateList(d.id);
    asked++;
  }
  await recheckPinnedCas();
  return { asked, redistributed: await redistributeDue({ now }) };
}

export interface PolicyCertificateView {
  policyName: string;
  subject: string;
  issuer: string;
  serial: string;
  notAfter: Date;
  nextRedistributionAt: Date;
  lastRedistributedAt: Date | null;
}

/** The device page: what each certificate policy installed, and when it is redistributed. */
export async function policyCertificatesOf(deviceId: string): Promise<PolicyCertificateView[]> {
  const rows = await db().installedCertificate.findMany({ where: { deviceId }, orderBy: { notAfter: "asc" } });
  const names = new Map((await db().policy.findMany({ where: { id: { in: rows.map((r) => r.policyId) } }, select: { id: true, name: true } })).map((p) => [p.id, p.name]));
  return rows.map((r) => ({
    policyName: names.get(r.policyId) ?? "(deleted policy)",
    subject: r.subject,
    issuer: r.issuer,
    serial: r.serial,
    notAfter: r.notAfter,
    nextRedistributionAt: r.nextRedistributionAt,
    lastRedistributedAt: r.lastRedistributedAt,
  }));
}
