// MDM identities issued by an external SCEP CA. The trust store is exactly the CA certificates
// pinned in external SCEP profiles that enrollment tokens or routing rules use (never the system store): a certificate counts only when
// one of them, a CA, signed it. At its first signed check-in such a certificate is recorded in
// the inventory (serial, subject, validity), so binding, revocation and logs then work as
// for certificates we issued.
import crypto from "node:crypto";
import { db, isUniqueViolation } from "../db/client";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import type { CertificateRow } from "../pki/certificates";
import { sha256Fingerprint } from "../pki/der";
import { pinnedCertificates } from "../scep/external/profiles";
import { externalIdentityProfileFor, modelFamilyOfProduct } from "../enrollment/routes";
import { findAccountEnrollment } from "../enrollment/accountEnrollments";
import { verifyEnrollmentRef } from "../enrollment/enrollmentRef";

/** The external profile whose pinned CA issued the certificate, or null. */
async function pinnedIssuer(cert: crypto.X509Certificate): Promise<{ id: string; name: string } | null> {
  // Only CAs an enrollment token or an account-driven routing rule uses for the MDM identity:
  // a CA pinned just for certificate policies (Okta's, say) must not let its other
  // certificates check in.
  const profiles = await db().externalScepProfile.findMany({
    where: { OR: [{ tokens: { some: {} } }, { addeRoutes: { some: {} } }] },
    select: { id: true, name: true, caCertsPem: true },
  });
  for (const p of profiles) if (issuedByPinned(cert, p)) return { id: p.id, name: p.name };
  return null;
}

/** Whether one of the profile's pinned CA certificates signed the certificate. */
function issuedByPinned(cert: crypto.X509Certificate, profile: { caCertsPem: string }): boolean {
  return pinnedCertificates(profile).some((der) => {
    const ca = new crypto.X509Certificate(der);
    // checkIssued compares names (and key ids); verify proves the signature.
    return ca.ca && cert.checkIssued(ca) && cert.verify(ca.publicKey);
  });
}

/**
 * The inventory row of an identity certificate from a pinned external CA: existing, or recorded
 * now (first signed check-in). null when no pinned CA issued it.
 */
export async function externalIdentityCertificate(der: Uint8Array): Promise<CertificateRow | null> {
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(der);
  } catch {
    return null;
  }
  if (cert.ca) return null; // a CA certificate is never a device identity
  const issuer = await pinnedIssuer(cert);
  if (!issuer) return null;
  const fingerprint = sha256Fingerprint(der);
  const known = await db().certificate.findUnique({ where: { fingerprint } });
  if (known) return known;
  const serial = cert.serialNumber.toLowerCase().replace(/^0+(?=.)/, "");
  try {
    const row = await db().certificate.create({
      data: {
        serial,
        subject: cert.subject.replace(/\n/g, ","),
        fingerprint,
        notBefore: new Date(cert.validFrom),
        notAfter: new Date(cert.validTo),
        der: new Uint8Array(der),
        externalProfileId: issuer.id,
      },
    });
    await writeEnrollmentLog({
      step: "checkin",
      outcome: "OK",
      message: `Identity certificate ${serial} from external CA "${issuer.name}" recorded at its first signed check-in (expires ${row.notAfter.toISOString()})`,
    });
    return row;
  } catch (err) {
    // Serials are unique per CA, not across CAs: one of ours (or another CA's) may hold it already.
    if (isUniqueViolation(err)) {
      const again = await db().certificate.findUnique({ where: { fingerprint } });
      if (again) return again;
      await writeEnrollmentLog({
        step: "checkin",
        outcome: "ERROR",
        reason: "checkin_unauthenticated",
        message: `Identity certificate from external CA "${issuer.name}" has serial ${serial}, which another certificate in the inventory already has; refused`,
      });
      return null;
    }
    throw err;
  }
}

/**
 * An external CA's certificate names no user: unlike our one-time challenges, its challenge
 * was not issued for one. For an account-driven enrollment the profile's check-in URL carries
 * the signed reference of the enroll request, which names the user who signed in to get that
 * profile. At the certificate's first Authenticate (not yet bound to a device) the user is
 * recorded on it, provided the user's routing rule takes the identity from this very CA; from
 * then on the certificate is the user's as ours are (a Mac's device channel, which carries
 * no access token, included). The reference stands in for the challenge here as it does for
 * OTA tokens with a static challenge (enrollmentLink.ts).
 */
export async function claimExternalCertificateForAccount(cert: CertificateRow, rawRef: string | null): Promise<CertificateRow> {
  if (!cert.externalProfileId || cert.userId || cert.deviceId || !rawRef) return cert;
  const v = verifyEnrollmentRef(rawRef);
  if (!v.ok || v.ref.kind !== "account") return cert;
  const account = await findAccountEnrollment(v.ref.enrollmentId);
  if (!account) return cert;
  const user = await db().user.findUnique({ where: { id: account.userId }, select: { id: true, identifier: true } });
  if (!user) return cert;
  // The CA the user's rule names must be the one that issued it (several profiles may pin one CA).
  const routed = await externalIdentityProfileFor(user.identifier, modelFamilyOfProduct(account.product), account.version);
  const profile = routed ? await db().externalScepProfile.findUnique({ where: { id: routed }, select: { caCertsPem: true } }) : null;
  if (!profile || !issuedByPinned(new crypto.X509Certificate(cert.der), profile)) return cert;
  // Only while still unclaimed: two first Authenticates cannot give it two users.
  const { count } = await db().certificate.updateMany({ where: { fingerprint: cert.fingerprint, userId: null, deviceId: null }, data: { userId: user.id } });
  if (count === 0) return (await db().certificate.findUnique({ where: { fingerprint: cert.fingerprint } })) ?? cert;
  await writeEnrollmentLog({
    step: "checkin",
    outcome: "OK",
    message: `Identity certificate ${cert.serial} from external CA: issued for the account-driven enrollment of ${user.identifier} (signed enrollment reference)`,
    userIdentifier: user.identifier,
  });
  return { ...cert, userId: user.id };
}
