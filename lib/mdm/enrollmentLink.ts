// Which enrollment a device's Authenticate belongs to. Two sources:
//  1. the identity certificate (its SCEP challenge was issued for a token or a user) —
//     the stronger link, since a one-time challenge is spent by exactly this device;
//  2. the enrollment reference in the check-in URL (enrollmentRef.ts) — present whatever
//     the challenge type, e.g. a token whose SCEP profile uses a STATIC challenge.
// The certificate wins. A reference that does not verify, names something that no longer
// applies, or disagrees with the certificate is ignored and reported as a warning.
import { db } from "../db/client";
import type { CertificateRow } from "../pki/certificates";
import { verifyEnrollmentRef } from "./enrollmentRef";

export interface EnrollmentLink {
  /** The OTA token the device enrolled with, if any. */
  tokenId: string | null;
  /** Where tokenId came from. */
  via: "certificate" | "reference" | null;
  /** Why a presented reference was ignored (one line each, for the enrollment log). */
  ignored: string[];
}

export async function resolveEnrollmentLink(rawRef: string | null, cert: CertificateRow, opts: { accountDriven: boolean }): Promise<EnrollmentLink> {
  const fromCert = cert.enrollmentTokenId ?? null;
  const out: EnrollmentLink = { tokenId: fromCert, via: fromCert ? "certificate" : null, ignored: [] };
  if (rawRef === null || rawRef === "") return out;
  const v = verifyEnrollmentRef(rawRef);
  if (!v.ok) {
    out.ignored.push(`enrollment reference in the check-in URL ignored: ${v.why}`);
    return out;
  }
  const ref = v.ref;
  if (ref.kind !== "token") return out; // account-driven references are resolved by the account-driven path
  if (opts.accountDriven) {
    out.ignored.push(`enrollment reference names OTA token ${ref.tokenId}, but this is an account-driven enrollment; ignored`);
    return out;
  }
  if (fromCert) {
    if (fromCert !== ref.tokenId) out.ignored.push(`enrollment reference names token ${ref.tokenId}, but the identity certificate was issued for token ${fromCert}; the certificate's token applies`);
    return out;
  }
  const token = await db().enrollmentToken.findUnique({ where: { id: ref.tokenId }, select: { id: true, revokedAt: true } });
  if (!token) {
    out.ignored.push(`enrollment reference names token ${ref.tokenId}, which no longer exists; ignored`);
    return out;
  }
  if (token.revokedAt) {
    // Revoking a token stops enrollments through it, including profiles downloaded earlier.
    out.ignored.push(`enrollment reference names token ${ref.tokenId}, which was revoked; its group does not apply`);
    return out;
  }
  return { tokenId: token.id, via: "reference", ignored: [] };
}
