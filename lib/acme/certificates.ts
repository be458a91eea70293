// Certificate download (RFC 8555 §7.4.2) and revocation (§7.6), which goes through the
// CA's one revocation path, so the CRL and OCSP answer for it at once.
import crypto from "node:crypto";
import { calculateJwkThumbprint, exportJWK, type JWK } from "jose";
import { db } from "../db/client";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { getCa } from "../pki/ca";
import { getCertificate, lookupIssuedCertificate } from "../pki/certificates";
import { CRL_REASON, type CrlReasonName } from "../pki/crl";
import { toPem } from "../pki/der";
import { revokeCertificates } from "../pki/revocation";
import type { AcmeResult } from "./accounts";
import { STEP } from "./challenges";
import type { VerifiedJws } from "./jws";
import { problem } from "./problem";

export interface PemResult {
  status: number;
  pem: string;
}

/** POST-as-GET by the account whose order it is: leaf and issuing CA (and intermediates), PEM. */
export async function downloadCertificate(req: VerifiedJws, serial: string): Promise<PemResult> {
  const s = serial.toLowerCase();
  if (!/^[0-9a-f]{1,64}$/.test(s)) throw problem("malformed", "no such certificate", null, { status: 404 });
  const order = await db().acmeOrder.findFirst({ where: { certSerial: s, accountId: req.account!.id }, select: { id: true } });
  const row = order ? await getCertificate(s) : null;
  if (!row) throw problem("malformed", "no such certificate for this account", null, { status: 404 });
  // The issuing CA always follows the leaf, even when it is our self-signed root: ACME clients
  // expect an issuer in the chain (certbot refuses a lone certificate); roots above an imported CA stay out.
  const ca = await getCa();
  const chain = [new Uint8Array(row.der), ca.certDer, ...ca.chainDer.slice(0, -1)];
  return { status: 200, pem: chain.map((der) => toPem(der, "CERTIFICATE")).join("") };
}

const REASON_NAMES = new Map<number, CrlReasonName>(Object.entries(CRL_REASON).map(([k, v]) => [v, k as CrlReasonName]));

export async function revokeByAcme(req: VerifiedJws, remoteAddr: string | null): Promise<AcmeResult> {
  const p = req.payload as Record<string, unknown> | null;
  if (!p || typeof p !== "object" || typeof p.certificate !== "string" || p.certificate.length > 16 * 1024 || !/^[A-Za-z0-9_-]+$/.test(p.certificate)) {
    throw problem("malformed", '"certificate" must be the base64url DER certificate');
  }
  let code: CrlReasonName = "unspecified";
  if (p.reason !== undefined) {
    const name = typeof p.reason === "number" ? REASON_NAMES.get(p.reason) : undefined;
    if (!name || name === "superseded") throw problem("badRevocationReason", "reason must be an RFC 5280 CRLReason code this CA publishes (0, 1, 2, 3, 5, 9)", "acme_revocation_refused");
    code = name;
  }
  const der = new Uint8Array(Buffer.from(p.certificate, "base64url"));
  const row = await lookupIssuedCertificate(der);
  if (!row) throw problem("unauthorized", "this CA did not issue that certificate", "acme_revocation_refused");
  let allowed = false;
  if (req.account) {
    allowed = Boolean(await db().acmeOrder.findFirst({ where: { certSerial: row.serial, accountId: req.account.id }, select: { id: true } }));
  } else if (req.jwk) {
    // Signed by the certificate's own key (§7.6, second method).
    try {
      const certKey = (await exportJWK(new crypto.X509Certificate(Buffer.from(der)).publicKey)) as JWK;
      allowed = (await calculateJwkThumbprint(certKey, "sha256")) === req.thumbprint;
    } catch {
      allowed = false;
    }
  }
  if (!allowed) throw problem("unauthorized", "the request is signed neither by the account that ordered the certificate nor by its key", "acme_revocation_refused");
  if (row.revokedAt) throw problem("alreadyRevoked", "the certificate is already revoked", null);
  await revokeCertificates([row.serial], { code, reason: `revoked through ACME${req.account ? ` by account ${req.account.id}` : " with the certificate's key"}` });
  await writeEnrollmentLog({ step: STEP, outcome: "OK", message: `ACME revoked certificate ${row.serial} (${code})`, remoteAddr });
  return { status: 200, body: null };
}
