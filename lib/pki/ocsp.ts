// OCSP responder (RFC 6960): parses an OCSPRequest (untrusted: the strict DER reader, a size
// and count limit), answers good / revoked (time and reason) / unknown for each CertID from
// the certificate inventory, echoes the nonce (RFC 8954), and signs with the delegated
// responder (ocspResponder.ts). Malformed input gets malformedRequest, a failure on our side
// internalError: never an exception out of ocspRespond.
import crypto from "node:crypto";
import { db } from "../db/client";
import { LIMITS } from "../http/body";
import type { HttpFile } from "../http/respond";
import { log } from "../log/logger";
import { getCa } from "./ca";
import { CRL_REASON } from "./crl";
import { derGeneralizedTime, derTlv, oidDer } from "./der";
import { certificateFields, childrenOf, contentOf, DerReadError, expectTag, oidOf, readTlv, TAG, whole, type Tlv } from "./derReader";
import { nodeSigningKey, sha256SignatureAlgorithmDer } from "./keys";
import { getOcspResponder } from "./ocspResponder";

/** OCSPResponseStatus (RFC 6960 4.2.1). */
export const OCSP_STATUS = { successful: 0, malformedRequest: 1, internalError: 2, tryLater: 3, sigRequired: 5, unauthorized: 6 } as const;

const OID_BASIC = "1.3.6.1.5.5.7.48.1.1";
const OID_NONCE = "1.3.6.1.5.5.7.48.1.2";
const HASHES: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};
/** More CertIDs than any client asks about at once. */
const MAX_REQUESTS = 20;
/** RFC 8954 2.1: a nonce of at most 32 octets (plus its OCTET STRING header). */
const MAX_NONCE_VALUE = 34;
/** How long a relying party may cache an answer. */
export const OCSP_VALID_MS = 3600_000;

export class OcspRequestError extends Error {}

export interface OcspCertId {
  /** The CertID as the client encoded it: echoed unchanged in the response. */
  der: Uint8Array;
  hash: string | null;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  serial: string;
}

export interface OcspRequest {
  certIds: OcspCertId[];
  /** The whole nonce Extension, echoed in responseExtensions. */
  nonceExtension: Uint8Array | null;
}

function serialHexOf(bytes: Uint8Array): string {
  let b = bytes;
  while (b.length > 1 && b[0] === 0) b = b.subarray(1);
  return Buffer.from(b).toString("hex");
}

function parseCertId(buf: Uint8Array, t: Tlv): OcspCertId {
  const [alg, nameHash, keyHash, serial, ...rest] = childrenOf(buf, expectTag(t, TAG.SEQUENCE));
  if (rest.length) throw new OcspRequestError("CertID has extra fields");
  const hashOid = oidOf(buf, expectTag(childrenOf(buf, expectTag(alg, TAG.SEQUENCE))[0], TAG.OID));
  return {
    der: whole(buf, t),
    hash: HASHES[hashOid] ?? null,
    issuerNameHash: contentOf(buf, expectTag(nameHash, TAG.OCTET_STRING)),
    issuerKeyHash: contentOf(buf, expectTag(keyHash, TAG.OCTET_STRING)),
    serial: serialHexOf(contentOf(buf, expectTag(serial, TAG.INTEGER))),
  };
}

/** Parses a DER OCSPRequest; throws OcspRequestError (or DerReadError) for anything else. */
export function parseOcspRequest(buf: Uint8Array): OcspRequest {
  const outer = readTlv(buf, 0);
  if (outer.end !== buf.length) throw new OcspRequestError("trailing bytes after the OCSPRequest");
  const tbs = expectTag(childrenOf(buf, expectTag(outer, TAG.SEQUENCE))[0], TAG.SEQUENCE);
  const fields = childrenOf(buf, tbs);
  let i = 0;
  if (fields[i]?.tag === TAG.CTX0) i++; // version
  if (fields[i]?.tag === TAG.CTX1) i++; // requestorName
  const list = childrenOf(buf, expectTag(fields[i++], TAG.SEQUENCE));
  if (list.length === 0) throw new OcspRequestError("the request list is empty");
  if (list.length > MAX_REQUESTS) throw new OcspRequestError(`more than ${MAX_REQUESTS} certificates in one request`);
  const certIds = list.map((r) => parseCertId(buf, childrenOf(buf, expectTag(r, TAG.SEQUENCE))[0]));
  let nonceExtension: Uint8Array | null = null;
  const exts = fields[i];
  if (exts) {
    if (exts.tag !== 0xa2) throw new OcspRequestError("unexpected field in TBSRequest");
    for (const ext of childrenOf(buf, expectTag(childrenOf(buf, exts)[0], TAG.SEQUENCE))) {
      const parts = childrenOf(buf, expectTag(ext, TAG.SEQUENCE));
      if (oidOf(buf, parts[0]) !== OID_NONCE) continue;
      const value = expectTag(parts[parts.length - 1], TAG.OCTET_STRING);
      if (value.end - value.contentStart > MAX_NONCE_VALUE) throw new OcspRequestError("the nonce is longer than 32 octets");
      nonceExtension = whole(buf, ext);
    }
  }
  return { certIds, nonceExtension };
}

/** An OCSPResponse without responseBytes (every status but successful). */
export function ocspStatusOnly(status: number): Uint8Array {
  return derTlv(0x30, derTlv(0x0a, new Uint8Array([status])));
}

interface Issuer {
  subject: Uint8Array;
  keyBits: Uint8Array;
}

/** The CA's subjectPublicKey bits (the BIT STRING's value without its unused-bits octet), which issuerKeyHash hashes. */
function caIssuer(certDer: Uint8Array): Issuer {
  const f = certificateFields(certDer, readTlv(certDer, 0));
  const bits = childrenOf(f.spki, readTlv(f.spki, 0))[1];
  return { subject: f.subject, keyBits: f.spki.subarray(bits.contentStart + 1, bits.end) };
}

const digest = (alg: string, data: Uint8Array) => new Uint8Array(crypto.createHash(alg).update(data).digest());
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && crypto.timingSafeEqual(a, b);

/** CertStatus for one CertID: [0] good, [1] revoked { time, [0] reason }, [2] unknown. */
async function certStatus(id: OcspCertId, issuer: Issuer): Promise<Uint8Array> {
  const unknown = new Uint8Array([0x82, 0x00]);
  if (!id.hash) return unknown; // a hash we do not speak: we cannot tell whether it names our CA
  if (!same(digest(id.hash, issuer.subject), id.issuerNameHash) || !same(digest(id.hash, issuer.keyBits), id.issuerKeyHash)) return unknown;
  if (id.serial.length > 64) return unknown;
  const row = await db().certificate.findUnique({ where: { serial: id.serial }, select: { der: true, revokedAt: true, revocationCode: true } });
  if (!row) return unknown;
  // Same serial from a CA this one replaced (import): not ours to answer for.
  const der = new Uint8Array(row.der);
  if (!Buffer.from(certificateFields(der, readTlv(der, 0)).issuer).equals(Buffer.from(issuer.subject))) return unknown;
  if (!row.revokedAt) return new Uint8Array([0x80, 0x00]);
  const reason = row.revocationCode !== null && row.revocationCode !== CRL_REASON.unspecified ? derTlv(0xa0, derTlv(0x0a, new Uint8Array([row.revocationCode]))) : new Uint8Array(0);
  return derTlv(0xa1, derGeneralizedTime(row.revokedAt), reason);
}

/** A signed BasicOCSPResponse for a parsed request. */
export async function buildOcspResponse(req: OcspRequest, now = new Date()): Promise<Uint8Array> {
  const ca = await getCa();
  const responder = await getOcspResponder(now.getTime());
  const issuer = caIssuer(ca.certDer);
  const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const responses: Uint8Array[] = [];
  for (const id of req.certIds) {
    responses.push(derTlv(0x30, id.der, await certStatus(id, issuer), derGeneralizedTime(thisUpdate), derTlv(0xa0, derGeneralizedTime(new Date(thisUpdate.getTime() + OCSP_VALID_MS)))));
  }
  const responderKeyHash = digest("sha1", caIssuer(responder.certDer).keyBits);
  const tbs = derTlv(
    0x30,
    derTlv(0xa2, derTlv(0x04, responderKeyHash)), // ResponderID byKey
    derGeneralizedTime(thisUpdate),
    derTlv(0x30, ...responses),
    req.nonceExtension ? derTlv(0xa1, derTlv(0x30, req.nonceExtension)) : new Uint8Array(0),
  );
  const algorithm = sha256SignatureAlgorithmDer(responder.privateKey);
  const signature = crypto.sign("sha256", tbs, nodeSigningKey(responder.privateKey));
  const basic = derTlv(0x30, tbs, algorithm, derTlv(0x03, new Uint8Array([0]), signature), derTlv(0xa0, derTlv(0x30, responder.certDer)));
  return derTlv(0x30, derTlv(0x0a, new Uint8Array([OCSP_STATUS.successful])), derTlv(0xa0, derTlv(0x30, oidDer(OID_BASIC), derTlv(0x04, basic))));
}

/** The DER OCSPResponse for request bytes; never throws. */
export async function ocspRespond(der: Uint8Array, now = new Date()): Promise<{ body: Uint8Array; status: number; nonce: boolean }> {
  let req: OcspRequest;
  try {
    req = parseOcspRequest(der);
  } catch (err) {
    if (!(err instanceof OcspRequestError || err instanceof DerReadError)) log.warn("OCSP request unreadable", { err });
    return { body: ocspStatusOnly(OCSP_STATUS.malformedRequest), status: OCSP_STATUS.malformedRequest, nonce: false };
  }
  try {
    return { body: await buildOcspResponse(req, now), status: OCSP_STATUS.successful, nonce: req.nonceExtension !== null };
  } catch (err) {
    log.error("OCSP response failed", { err });
    return { body: ocspStatusOnly(OCSP_STATUS.internalError), status: OCSP_STATUS.internalError, nonce: false };
  }
}

/** Base64 from the GET path (RFC 6960 A.1: URL-encoded base64; some clients leave '/' and '+' as they are). */
export function ocspRequestFromPath(encoded: string): Uint8Array | null {
  let text: string;
  try {
    text = decodeURIComponent(encoded);
  } catch {
    return null;
  }
  text = text.replace(/\s/g, "");
  if (text.length === 0 || text.length > Math.ceil((LIMITS.ocsp * 4) / 3) + 4 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return null;
  return new Uint8Array(Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
}

/**
 * The answer to an OCSP request the route read (POST's body, or GET's path through
 * ocspRequestFromPath; null when absent or unreadable). Always HTTP 200 with an OCSPResponse,
 * as clients expect; errors are in its status.
 */
export async function ocspAnswer(method: string, der: Uint8Array | null): Promise<HttpFile> {
  const { body, status, nonce } = der?.length ? await ocspRespond(der) : { body: ocspStatusOnly(OCSP_STATUS.malformedRequest), status: OCSP_STATUS.malformedRequest, nonce: false };
  // A GET answer without a nonce may be cached (RFC 5019 6); anything with a nonce or an error may not.
  const cacheable = method === "GET" && status === OCSP_STATUS.successful && !nonce;
  return { body, contentType: "application/ocsp-response", cacheControl: cacheable ? "public, max-age=300, no-transform" : "no-store" };
}
