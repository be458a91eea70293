// Revocation: the one function every path uses (admin API, portal, device removal,
// superseding after renewal). Revoking a certificate also revokes every certificate renewed
// from it (renewedFromSerial, transitively), unless the revocation only says it was
// superseded by its own successor. Every revocation republishes the CRL; OCSP reads rows.
import { db } from "../db/client";
import { badRequest, notFound } from "../errors";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { log } from "../log/logger";
import { getCertificate, summary, type CertificateSummary } from "./certificates";
import { CRL_REASON, publishCrl, type CrlReasonName } from "./crl";

export interface RevokeOptions {
  /** Free text for admins (who, why). */
  reason?: string | null;
  /** RFC 5280 CRLReason published in the CRL and OCSP; unspecified by default. */
  code?: CrlReasonName;
}

/** Marks the certificates revoked (first revocation wins) and the ones renewed from them; returns the serials newly revoked. */
async function revokeRows(serials: string[], opts: RevokeOptions, now: Date): Promise<string[]> {
  const code = CRL_REASON[opts.code ?? "unspecified"];
  const note = opts.reason?.trim().slice(0, 500) || null;
  const newly: string[] = [];
  for (const serial of serials) {
    const { count } = await db().certificate.updateMany({ where: { serial, revokedAt: null }, data: { revokedAt: now, revocationReason: note, revocationCode: code } });
    if (count) newly.push(serial);
  }
  if (opts.code === "superseded") return newly; // the successor is what replaced it: it stays
  // Walk down the renewal chain, also through certificates already revoked (superseded ones).
  const seen = new Set(serials);
  let frontier = serials;
  while (frontier.length) {
    const children = await db().certificate.findMany({ where: { renewedFromSerial: { in: frontier } }, select: { serial: true, renewedFromSerial: true } });
    frontier = [];
    for (const child of children) {
      if (seen.has(child.serial)) continue;
      seen.add(child.serial);
      frontier.push(child.serial);
      const { count } = await db().certificate.updateMany({
        where: { serial: child.serial, revokedAt: null },
        data: { revokedAt: now, revocationCode: code, revocationReason: `renewed from revoked certificate ${child.renewedFromSerial}` },
      });
      if (count) newly.push(child.serial);
    }
  }
  return newly;
}

async function republish(): Promise<void> {
  try {
    await publishCrl();
  } catch (err) {
    // The rows are revoked (OCSP answers from them); /ca.crl rebuilds when it sees a newer revocation.
    log.error("CRL could not be republished after a revocation", { err });
  }
}

/** Revokes certificates (one CRL for all). Unknown serials are skipped. */
export async function revokeCertificates(serials: string[], opts: RevokeOptions = {}, now = new Date()): Promise<string[]> {
  const rows = await db().certificate.findMany({ where: { serial: { in: serials.map((s) => s.toLowerCase()) } }, select: { serial: true } });
  if (!rows.length) return [];
  const newly = await revokeRows(
    rows.map((r) => r.serial),
    opts,
    now,
  );
  if (newly.length) await republish();
  const cascaded = newly.filter((s) => !rows.some((r) => r.serial === s));
  if (cascaded.length) {
    await writeEnrollmentLog({
      step: "revocation",
      outcome: "OK",
      message: `Revoking ${rows.map((r) => r.serial).join(", ")} also revoked ${cascaded.length} certificate(s) renewed from it: ${cascaded.join(", ")}`,
    });
  }
  return newly;
}

/** Marks a certificate revoked (idempotent: a second call keeps the first date and reason, and still revokes its renewals). */
export async function revokeCertificate(serial: string, opts: RevokeOptions = {}): Promise<CertificateSummary> {
  const existing = await getCertificate(serial);
  if (!existing) throw notFound("certificate");
  await revokeCertificates([existing.serial], opts);
  return summary((await getCertificate(existing.serial))!);
}

/** Retires a certificate once its renewal is bound to the device (reason superseded; its successor stays valid). */
export async function supersedeCertificate(serial: string, successorSerial: string): Promise<void> {
  await revokeCertificates([serial], { code: "superseded", reason: `superseded by ${successorSerial}` });
}

/**
 * A certificate issued by renewal while its predecessor was being revoked: whichever came
 * second sees the other (the revocation walks children after marking; issuance reads the
 * parent after inserting), so no renewed certificate outlives a revoked parent. Returns
 * true when the new certificate was revoked.
 */
export async function inheritRevocation(serial: string): Promise<boolean> {
  const cert = await getCertificate(serial);
  if (!cert?.renewedFromSerial) return false;
  const parent = await getCertificate(cert.renewedFromSerial);
  if (!parent?.revokedAt || parent.revocationCode === CRL_REASON.superseded) return false;
  // Re-running the parent's revocation cascades to this certificate with the parent's reason.
  const code = (Object.keys(CRL_REASON) as CrlReasonName[]).find((k) => CRL_REASON[k] === parent.revocationCode) ?? "unspecified";
  const newly = await revokeCertificates([parent.serial], { code });
  return newly.includes(serial) || Boolean((await getCertificate(serial))?.revokedAt);
}

const CODE_NAMES = Object.keys(CRL_REASON) as CrlReasonName[];

/** The revoke endpoint: optional JSON body { reason, reasonCode } (reasonCode: an RFC 5280 CRLReason name), then revokeCertificate. */
export async function revokeRequest(serial: string, bytes: Uint8Array): Promise<CertificateSummary> {
  let reason: string | null = null;
  let code: CrlReasonName | undefined;
  if (bytes.byteLength > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw badRequest("invalid_json", "request body is not valid JSON");
    }
    const body = (parsed ?? {}) as { reason?: unknown; reasonCode?: unknown };
    const r = body.reason;
    if (r !== undefined && r !== null && typeof r !== "string") throw badRequest("invalid_reason", "reason must be a string");
    reason = (r as string | undefined)?.trim() || null;
    const c = body.reasonCode;
    if (c !== undefined && c !== null) {
      if (typeof c !== "string" || !CODE_NAMES.includes(c as CrlReasonName) || c === "superseded") {
        throw badRequest("invalid_reason_code", `reasonCode must be one of ${CODE_NAMES.filter((n) => n !== "superseded").join(", ")}`);
      }
      code = c as CrlReasonName;
    }
  }
  return revokeCertificate(serial, { reason, code });
}
