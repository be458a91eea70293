// The CA's certificate revocation list (RFC 5280 5): DER, signed by the CA, served at
// /ca.crl. Rebuilt on every revocation (revocation.ts), by the hourly job once it is a day
// old, and on demand when the stored one is missing, from another CA, or older than a
// revocation. Its number only grows (RevocationList.number, one row per CA certificate).
import type { HttpFile } from "../http/respond";
import crypto from "node:crypto";
import { db } from "../db/client";
import { log } from "../log/logger";
import { getCa, type CaBundle } from "./ca";
import { derExtension, derIntegerFromHex, derSmallInteger, derTime, derTlv, sha256Fingerprint } from "./der";
import { certificateFields, readTlv } from "./derReader";
import { nodeSigningKey, sha256SignatureAlgorithmDer } from "./keys";
import { subjectKeyId } from "./x509";

/** RFC 5280 5.3.1 CRLReason. */
export const CRL_REASON = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;
export type CrlReasonName = keyof typeof CRL_REASON;

export const CRL_VALID_DAYS = 7;
/** The job and the route rebuild a CRL this much older than its thisUpdate, long before nextUpdate. */
export const CRL_REFRESH_AFTER_MS = 24 * 3600_000;
const DAY_MS = 86_400_000;

export interface CrlEntry {
  serial: string;
  revokedAt: Date;
  reasonCode: number | null;
}

export interface CrlInput {
  ca: CaBundle;
  number: number;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: CrlEntry[];
}

const second = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

/** The CA certificate's subject exactly as encoded (the CRL's issuer must match issued certificates' issuer byte for byte). */
export function caSubjectDer(ca: CaBundle): Uint8Array {
  return certificateFields(ca.certDer, readTlv(ca.certDer, 0)).subject;
}

/** CertificateList DER (v2, sha256 with the CA key, AKI and CRL number; reasonCode on entries other than unspecified). */
export function buildCrl(input: CrlInput): Uint8Array {
  const { ca } = input;
  const entries = input.entries.map((e) => {
    const ext = e.reasonCode !== null && e.reasonCode !== CRL_REASON.unspecified ? derTlv(0x30, derExtension("2.5.29.21", derTlv(0x0a, new Uint8Array([e.reasonCode])))) : new Uint8Array(0);
    return derTlv(0x30, derIntegerFromHex(e.serial), derTime(second(e.revokedAt)), ext);
  });
  const crlExtensions: Uint8Array[] = [];
  const keyId = subjectKeyId(ca.cert);
  if (keyId) crlExtensions.push(derExtension("2.5.29.35", derTlv(0x30, derTlv(0x80, keyId))));
  crlExtensions.push(derExtension("2.5.29.20", derSmallInteger(input.number)));
  const algorithm = sha256SignatureAlgorithmDer(ca.privateKey);
  const tbs = derTlv(
    0x30,
    derSmallInteger(1), // v2
    algorithm,
    caSubjectDer(ca),
    derTime(second(input.thisUpdate)),
    derTime(second(input.nextUpdate)),
    entries.length ? derTlv(0x30, ...entries) : new Uint8Array(0), // absent when empty (5.1.2.6)
    derTlv(0xa0, derTlv(0x30, ...crlExtensions)),
  );
  const signature = crypto.sign("sha256", tbs, nodeSigningKey(ca.privateKey));
  return derTlv(0x30, tbs, algorithm, derTlv(0x03, new Uint8Array([0]), signature));
}

/** Revoked certificates of this CA still worth listing (expired ones drop off a CRL validity period after their end). */
async function revokedEntries(ca: CaBundle, now: Date): Promise<CrlEntry[]> {
  const issuer = Buffer.from(caSubjectDer(ca));
  const rows = await db().certificate.findMany({
    where: { revokedAt: { not: null }, externalProfileId: null, notAfter: { gt: new Date(now.getTime() - CRL_VALID_DAYS * DAY_MS) } },
    select: { serial: true, revokedAt: true, revocationCode: true, der: true },
    orderBy: { revokedAt: "asc" },
  });
  const out: CrlEntry[] = [];
  for (const r of rows) {
    const der = new Uint8Array(r.der);
    // After a CA import, certificates of the old CA are not this CA's to list.
    if (!issuer.equals(Buffer.from(certificateFields(der, readTlv(der, 0)).issuer))) continue;
    out.push({ serial: r.serial, revokedAt: r.revokedAt!, reasonCode: r.revocationCode });
  }
  return out;
}

async function nextNumber(issuerFingerprint: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      const row = await db().revocationList.upsert({ where: { issuerFingerprint }, create: { issuerFingerprint, number: 1 }, update: { number: { increment: 1 } } });
      return row.number;
    } catch (err) {
      if (attempt >= 2) throw err; // two instances creating the first row: the loser increments
    }
  }
}

/** Builds, signs and stores a new CRL for the current CA; returns its DER. */
export async function publishCrl(now = new Date()): Promise<Uint8Array> {
  const ca = await getCa();
  const issuerFingerprint = sha256Fingerprint(ca.certDer);
  const number = await nextNumber(issuerFingerprint);
  const der = buildCrl({ ca, number, thisUpdate: now, nextUpdate: new Date(now.getTime() + CRL_VALID_DAYS * DAY_MS), entries: await revokedEntries(ca, now) });
  // Only if nobody took a newer number meanwhile: theirs was built from a later view.
  await db().revocationList.updateMany({
    where: { issuerFingerprint, number },
    data: { der: new Uint8Array(der), thisUpdate: now, nextUpdate: new Date(now.getTime() + CRL_VALID_DAYS * DAY_MS) },
  });
  return der;
}

/** Whether the stored CRL must be rebuilt: missing, a day old, or older than the latest revocation. */
async function stale(row: { der: Uint8Array | null; thisUpdate: Date | null } | null, now: Date): Promise<boolean> {
  if (!row?.der || !row.thisUpdate) return true;
  const age = now.getTime() - row.thisUpdate.getTime();
  if (age >= CRL_REFRESH_AFTER_MS || age < -5 * 60_000) return true; // old, or from a clock that ran ahead
  return (await db().certificate.count({ where: { revokedAt: { gte: row.thisUpdate } } })) > 0;
}

/** The CRL to serve: the stored one, or a fresh one when it is stale. */
export async function currentCrl(now = new Date()): Promise<{ der: Uint8Array; nextUpdate: Date }> {
  const ca = await getCa();
  const row = await db().revocationList.findUnique({ where: { issuerFingerprint: sha256Fingerprint(ca.certDer) } });
  if (row && !(await stale(row, now))) return { der: new Uint8Array(row.der!), nextUpdate: row.nextUpdate! };
  const der = await publishCrl(now);
  return { der, nextUpdate: new Date(now.getTime() + CRL_VALID_DAYS * DAY_MS) };
}

/** The hourly job: rebuild when stale. Never throws (the scheduler logs nothing else). */
export async function refreshCrl(now = new Date()): Promise<boolean> {
  try {
    const ca = await getCa();
    const row = await db().revocationList.findUnique({ where: { issuerFingerprint: sha256Fingerprint(ca.certDer) } });
    if (!(await stale(row, now))) return false;
    await publishCrl(now);
    return true;
  } catch (err) {
    log.error("CRL refresh failed", { err });
    return false;
  }
}

/** GET /ca.crl (application/pkix-crl, RFC 2585). */
export async function crlFile(): Promise<HttpFile> {
  const { der } = await currentCrl();
  // A short cache: a revocation should reach relying parties within a minute.
  return { body: der, contentType: "application/pkix-crl", cacheControl: "public, max-age=60", filename: "ca.crl" };
}
