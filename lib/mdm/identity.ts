// Who is talking: every check-in and command request must prove the identity certificate
// we issued at enrollment, either by the Mdm-Signature header (detached CMS over the exact
// body, signed with that certificate's key) or by a TLS client certificate that a
// terminating proxy forwarded in CLIENT_CERT_HEADER. The certificate must be ours, current
// and not revoked; binding it to one device is checked per message (checkin.ts).
import type { Device } from "../db/generated/sqlite/client";
import type { CertificateRow } from "../pki/certificates";
import { lookupIssuedCertificateWithDevice } from "../pki/certificates";
import { CmsError, verifySignedData, verifySignedDataDigest, type ContentDigest } from "../pki/cms";
import { DerError, fromPem } from "../pki/der";
import type { ReasonCode } from "../log/reasons";
import { externalIdentityCertificate } from "./externalIdentity";

export class MdmAuthError extends Error {
  constructor(
    readonly reason: ReasonCode,
    message: string,
    /** The certificate, when it is ours but refused (revoked, expired): its device and token name the log line. */
    readonly cert: CertificateRow | null = null,
  ) {
    super(message);
    this.name = "MdmAuthError";
  }
}

export interface MdmCredentials {
  /** The Mdm-Signature header value, if any. */
  signature: string | null;
  /** The forwarded client certificate (PEM, or base64 DER), if the proxy sent one. */
  clientCert: string | null;
}

const MAX_SIGNATURE_CHARS = 64 * 1024;

function decodeClientCert(value: string): Uint8Array {
  const v = value.trim();
  if (v.includes("-----BEGIN")) return fromPem(v.replace(/\t/g, "\n"), ["CERTIFICATE"]);
  if (!/^[A-Za-z0-9+/=\s]+$/.test(v)) throw new DerError("client certificate header is neither PEM nor base64");
  return new Uint8Array(Buffer.from(v, "base64"));
}

/** The identity certificate's DER, proven by signature or forwarded by the TLS proxy. */
async function presentedCertificate(body: Uint8Array | ContentDigest, creds: MdmCredentials): Promise<{ der: Uint8Array; via: "signature" | "client-cert" }> {
  if (creds.signature) {
    const sig = creds.signature.trim();
    if (sig.length > MAX_SIGNATURE_CHARS || !/^[A-Za-z0-9+/=\s]+$/.test(sig)) throw new MdmAuthError("checkin_unauthenticated", "Mdm-Signature is not base64");
    try {
      const cms = new Uint8Array(Buffer.from(sig, "base64"));
      const { signerCertDer } = body instanceof Uint8Array ? await verifySignedData(cms, body) : verifySignedDataDigest(cms, body);
      return { der: signerCertDer, via: "signature" };
    } catch (err) {
      const why = err instanceof CmsError ? err.message : "unreadable signature";
      throw new MdmAuthError("checkin_unauthenticated", `Mdm-Signature does not verify over the body: ${why}`);
    }
  }
  if (creds.clientCert) {
    try {
      return { der: decodeClientCert(creds.clientCert), via: "client-cert" };
    } catch (err) {
      throw new MdmAuthError("checkin_unauthenticated", `forwarded client certificate unreadable: ${(err as Error).message}`);
    }
  }
  throw new MdmAuthError("checkin_unauthenticated", "request carries neither an Mdm-Signature header nor a client certificate");
}

/**
 * Verifies the request's identity certificate; returns its inventory row and, read with it, the
 * device it is bound to (undefined: not read). Throws MdmAuthError.
 * `body` is the exact body, or only its digest when it was too large to keep.
 */
export async function authenticateIdentity(
  body: Uint8Array | ContentDigest,
  creds: MdmCredentials,
  now = new Date(),
): Promise<{ cert: CertificateRow; via: "signature" | "client-cert"; boundTo?: Device | null }> {
  const { der, via } = await presentedCertificate(body, creds);
  const issued = await lookupIssuedCertificateWithDevice(der);
  const cert = issued?.cert ?? (await externalIdentityCertificate(der));
  if (!cert) throw new MdmAuthError("checkin_unauthenticated", "the identity certificate was not issued by this server or by a pinned external CA");
  if (cert.revokedAt) throw new MdmAuthError("checkin_cert_revoked", `identity certificate ${cert.serial} was revoked${cert.revocationReason ? ` (${cert.revocationReason})` : ""}`, cert);
  if (cert.notAfter.getTime() < now.getTime() || cert.notBefore.getTime() > now.getTime() + 5 * 60_000) {
    throw new MdmAuthError("checkin_unauthenticated", `identity certificate ${cert.serial} is outside its validity period`, cert);
  }
  return { cert, via, boundTo: issued?.device };
}
