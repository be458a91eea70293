// Which enrollment a device's Authenticate belongs to. Two sources:
//  1. the identity certificate (its SCEP challenge was issued for a token or a user) —
//     the stronger link, since a one-time challenge is spent by exactly this device;
//  2. the enrollment reference in the check-in URL (lib/enrollment/enrollmentRef.ts) — present whatever
//     the challenge type, e.g. a token whose SCEP profile uses a STATIC challenge.
// The certificate wins. A reference that does not verify, names something that no longer
// applies, or disagrees with the certificate is ignored and reported as a warning.
import { db } from "../db/client";
import type { CertificateRow } from "../pki/certificates";
import { findAccountEnrollment, type AccountEnrollment } from "../enrollment/accountEnrollments";
import { verifyEnrollmentRef } from "../enrollment/enrollmentRef";

export interface EnrollmentLink {
  /** The OTA token the device enrolled with, if any. */
  tokenId: string | null;
  /** Where tokenId came from. */
  via: "certificate" | "reference" | null;
  /** Account-driven: what the enroll request said about the device (PRODUCT, VERSION, LANGUAGE). */
  account: AccountEnrollment | null;
  /** Why a presented reference was ignored (one line each, for the enrollment log). */
  ignored: string[];
}

/** `accountUserId`: the user of the access token (or of the certificate) for account-driven enrollments, else null. */
export async function resolveEnrollmentLink(rawRef: string | null, cert: CertificateRow, opts: { accountUserId: string | null }): Promise<EnrollmentLink> {
  const fromCert = cert.enrollmentTokenId ?? null;
  const out: EnrollmentLink = { tokenId: fromCert, via: fromCert ? "certificate" : null, account: null, ignored: [] };
  if (rawRef === null || rawRef === "") return out;
  const v = verifyEnrollmentRef(rawRef);
  if (!v.ok) {
    out.ignored.push(`enrollment reference in the check-in URL ignored: ${v.why}`);
    return out;
  }
  const ref = v.ref;
  if (ref.kind === "account") {
    if (!opts.accountUserId) {
      out.ignored.push("enrollment reference names an account-driven enrollment, but this device enrolled without an account; ignored");
      return out;
    }
    const account = await findAccountEnrollment(ref.enrollmentId);
    if (!account) out.ignored.push("enrollment reference names an account-driven enrollment this server no longer knows (expired); ignored");
    else if (account.userId !== opts.accountUserId) out.ignored.push("enrollment reference names another user's account-driven enrollment; ignored");
    else out.account = account;
    return out;
  }
  if (opts.accountUserId) {
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
  return { tokenId: token.id, via: "reference", account: null, ignored: [] };
}
