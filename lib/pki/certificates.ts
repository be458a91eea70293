// Issuing, finding and revoking the certificates our CA signs for devices. Every issued
// certificate is recorded (inventory, renewal links, revocation checks at check-in).
import type * as pkijs from "pkijs";
import { db } from "../db/client";
import type { Certificate as CertificateRow, Prisma } from "../db/generated/sqlite/client";
import { badRequest, notFound } from "../errors";
import { getCa } from "./ca";
import { serialHex, sha256Fingerprint } from "./der";
import { nameFromString, nameToString } from "./names";
import { revocationExtensions } from "./revocationUrls";
import { EKU, KU, signCertificate, subjectKeyId } from "./x509";

export type { CertificateRow };

/** Apple's SCEP KeyUsage bit mask (1 = digital signature, 4 = key encipherment). */
export const APPLE_KEY_USAGE = { digitalSignature: 1, keyEncipherment: 4 } as const;

export interface IssueRequest {
  publicKeyInfo: pkijs.PublicKeyInfo;
  /** "CN=x,O=y" */
  subject: string;
  validityDays: number;
  keyUsage: number;
  profileId?: string | null;
  deviceId?: string | null;
  enrollmentTokenId?: string | null;
  userId?: string | null;
  renewedFromSerial?: string | null;
  /** The UDID the certificate is issued for (device-bound OTA, attested ACME). */
  boundUdid?: string | null;
  /** Default: TLS client authentication (the device identity). */
  extKeyUsage?: string[];
  /** Encoded extensions the request adds (ACME: subjectAltName for its identifiers). */
  extraExtensions?: { oid: string; critical?: boolean; value: Uint8Array }[];
}

/** X.509 key usage bits for Apple's mask; an empty mask still gets digitalSignature (a keyUsage extension needs one bit). */
export function keyUsageBitsFromApple(mask: number): number[] {
  const bits: number[] = [];
  if (mask & APPLE_KEY_USAGE.digitalSignature) bits.push(KU.digitalSignature);
  if (mask & APPLE_KEY_USAGE.keyEncipherment) bits.push(KU.keyEncipherment);
  return bits.length ? bits : [KU.digitalSignature];
}

export async function issueCertificate(req: IssueRequest): Promise<{ serial: string; der: Uint8Array }> {
  const ca = await getCa();
  const now = Date.now();
  const notBefore = new Date(now - 5 * 60_000);
  // Never outlive the CA: clients reject such chains.
  const notAfter = new Date(Math.min(now + req.validityDays * 86_400_000, ca.cert.notAfter.value.getTime()));
  const { cert, der } = await signCertificate(
    {
      subject: nameFromString(req.subject),
      issuer: ca.cert.subject,
      publicKeyInfo: req.publicKeyInfo,
      notBefore,
      notAfter,
      keyUsageBits: keyUsageBitsFromApple(req.keyUsage),
      // The identity certificate authenticates the device to the MDM server (TLS client auth).
      extKeyUsage: req.extKeyUsage ?? [EKU.clientAuth],
      issuerKeyId: subjectKeyId(ca.cert),
      // Where relying parties (a TLS proxy checking client certificates, RADIUS) find revocation.
      moreExtensions: [...revocationExtensions(), ...(req.extraExtensions ?? [])],
    },
    ca.privateKey,
  );
  const serial = serialHex(cert.serialNumber);
  await db().certificate.create({
    data: {
      serial,
      subject: nameToString(cert.subject),
      fingerprint: sha256Fingerprint(der),
      notBefore: cert.notBefore.value,
      notAfter: cert.notAfter.value,
      der: new Uint8Array(der),
      profileId: req.profileId ?? null,
      deviceId: req.deviceId ?? null,
      enrollmentTokenId: req.enrollmentTokenId ?? null,
      userId: req.userId ?? null,
      renewedFromSerial: req.renewedFromSerial ?? null,
      boundUdid: req.boundUdid ?? null,
    },
  });
  return { serial, der };
}

/** The inventory row of a certificate we issued (by SHA-256 fingerprint), or null. Callers check revokedAt and dates. */
export async function lookupIssuedCertificate(der: Uint8Array): Promise<CertificateRow | null> {
  return db().certificate.findUnique({ where: { fingerprint: sha256Fingerprint(der) } });
}

export async function getCertificate(serial: string): Promise<CertificateRow | null> {
  return db().certificate.findUnique({ where: { serial: serial.toLowerCase() } });
}

export function summary(row: CertificateRow): CertificateSummary {
  const { der: _der, ...rest } = row;
  void _der;
  return rest;
}

/** Links an issued certificate to the device it authenticated (Authenticate check-in). A revoked certificate binds nothing. */
export async function bindCertificateToDevice(serial: string, deviceId: string): Promise<void> {
  const existing = await getCertificate(serial);
  if (!existing) throw notFound("certificate");
  // Conditional: a revocation that lands after the check-in's own check still wins.
  const { count } = await db().certificate.updateMany({ where: { serial: existing.serial, revokedAt: null }, data: { deviceId } });
  if (count !== 1) throw badRequest("certificate_revoked", `certificate ${existing.serial} is revoked and cannot be bound to a device`);
  await db().device.update({ where: { id: deviceId }, data: { certSerial: existing.serial } });
}

export interface CertificateFilter {
  deviceId?: string;
  profileId?: string;
  /** true: only revoked; false: only not revoked. */
  revoked?: boolean;
  /** Only certificates still valid (not expired, not revoked) that expire before this date. */
  expiringBefore?: Date;
  /** Substring of subject or serial. */
  search?: string;
  take?: number;
  skip?: number;
}

export type CertificateSummary = Omit<CertificateRow, "der">;

/** Filter from query parameters: deviceId, profileId, revoked=true|false, expiringBefore (ISO), q, take, skip. */
export function certificateFilterFromQuery(params: URLSearchParams): CertificateFilter {
  const filter: CertificateFilter = {};
  const str = (k: string) => params.get(k)?.trim() || undefined;
  filter.deviceId = str("deviceId");
  filter.profileId = str("profileId");
  const revoked = str("revoked");
  if (revoked === "true" || revoked === "false") filter.revoked = revoked === "true";
  else if (revoked) throw badRequest("invalid_filter", "revoked must be true or false");
  const expiring = str("expiringBefore");
  if (expiring) {
    const d = new Date(expiring);
    if (Number.isNaN(d.getTime())) throw badRequest("invalid_filter", "expiringBefore must be an ISO date");
    filter.expiringBefore = d;
  }
  filter.search = str("q")?.slice(0, 200);
  for (const k of ["take", "skip"] as const) {
    const v = str(k);
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw badRequest("invalid_filter", `${k} must be a whole number`);
    filter[k] = n;
  }
  return filter;
}

export async function listCertificates(filter: CertificateFilter = {}): Promise<{ total: number; items: CertificateSummary[] }> {
  const where: Prisma.CertificateWhereInput = {};
  if (filter.deviceId) where.deviceId = filter.deviceId;
  if (filter.profileId) where.profileId = filter.profileId;
  if (filter.revoked === true) where.revokedAt = { not: null };
  if (filter.revoked === false) where.revokedAt = null;
  if (filter.expiringBefore) {
    where.revokedAt = null;
    where.notAfter = { lt: filter.expiringBefore, gt: new Date() };
  }
  if (filter.search) where.OR = [{ subject: { contains: filter.search } }, { serial: { contains: filter.search.toLowerCase() } }];
  const take = Math.min(Math.max(filter.take ?? 50, 1), 500);
  const [total, items] = await Promise.all([
    db().certificate.count({ where }),
    db().certificate.findMany({
      where,
      orderBy: { issuedAt: "desc" },
      take,
      skip: Math.max(filter.skip ?? 0, 0),
      omit: { der: true },
    }),
  ]);
  return { total, items };
}
