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

/** The external profile whose pinned CA issued the certificate, or null. */
async function pinnedIssuer(cert: crypto.X509Certificate): Promise<{ id: string; name: string } | null> {
  // Only CAs an enrollment token or an account-driven routing rule uses for the MDM identity:
  // a CA pinned just for certificate policies (Okta's, say) must not let its other
  // certificates check in.
  const profiles = await db().externalScepProfile.findMany({
    where: { OR: [{ tokens: { some: {} } }, { addeRoutes: { some: {} } }] },
    select: { id: true, name: true, caCertsPem: true },
  });
  for (const p of profiles) {
    for (const der of pinnedCertificates(p)) {
      const ca = new crypto.X509Certificate(der);
      // checkIssued compares names (and key ids); verify proves the signature.
      if (ca.ca && cert.checkIssued(ca) && cert.verify(ca.publicKey)) return { id: p.id, name: p.name };
    }
  }
  return null;
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
      await writeEnrollmentLog({ step: "checkin", outcome: "ERROR", reason: "checkin_unauthenticated", message: `Identity certificate from external CA "${issuer.name}" has serial ${serial}, which another certificate in the inventory already has; refused` });
      return null;
    }
    throw err;
  }
}
