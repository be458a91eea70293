// Web Request/Response glue for the two MDM endpoints (an edge helper: only app/ and lib/http
// touch Request and Response): read the body under its size limit, collect the identity
// headers, hand lib/mdm plain data, and render the service's answer.
import { AppError } from "@/lib/errors";
import { LIMITS, readBodyOrOversize } from "@/lib/http/body";
import { signerDigestHash } from "@/lib/pki/cms";
import { forwardedClientCert, remoteAddress } from "@/lib/http/remote";
import { writeEnrollmentLog } from "@/lib/log/enrollmentLog";
import { handleCheckin } from "@/lib/mdm/checkin";
import { handleConnect } from "@/lib/mdm/connect";
import { enrollmentRefOf } from "@/lib/enrollment/enrollmentRef";
import { errorStatus, type MdmRequest, type MdmResponse } from "@/lib/mdm/mdmRequest";

/** The proxy's client certificate header; a malformed URL encoding still reaches identity checks (and fails there as 401). */
function clientCertOf(request: Request): string | null {
  try {
    return forwardedClientCert(request);
  } catch {
    return "unreadable";
  }
}

/** How much of an oversized command report is kept (its CommandUUID is near the start). */
const OVERSIZE_HEAD_BYTES = 64 * 1024;

/** The digest the Mdm-Signature's signer uses, to hash a body too large to keep. */
function signatureHash(signature: string | null): string | null {
  if (!signature || signature.length > 64 * 1024 || !/^[A-Za-z0-9+/=\s]+$/.test(signature)) return null;
  return signerDigestHash(new Uint8Array(Buffer.from(signature.trim(), "base64")));
}

async function readMdmRequest(request: Request, limit: number, what: string): Promise<MdmRequest | MdmResponse> {
  const remoteAddr = remoteAddress(request);
  try {
    const signature = request.headers.get("mdm-signature");
    // A command report over its limit is still read (hashed, not kept) so the command it answers can be failed.
    const overflow = what === "command report" ? { hashLimit: LIMITS.commandHashed, headBytes: OVERSIZE_HEAD_BYTES, hash: signatureHash(signature) } : { hashLimit: limit, headBytes: 0, hash: null };
    const read = await readBodyOrOversize(request, limit, overflow);
    return {
      body: "body" in read ? read.body : read.oversize.head,
      oversize: "oversize" in read ? read.oversize : undefined,
      signature,
      clientCert: clientCertOf(request),
      authorization: request.headers.get("authorization"),
      remoteAddr,
      enrollmentRef: enrollmentRefOf(request.url),
    };
  } catch (err) {
    const status = err instanceof AppError ? err.status : 400;
    await writeEnrollmentLog({
      step: what === "check-in" ? "checkin" : "command",
      outcome: "ERROR",
      reason: status === 413 ? "body_too_large" : "checkin_malformed",
      message: `${what} rejected (${status}): ${err instanceof Error ? err.message : "unreadable body"}`,
      remoteAddr,
    });
    return errorStatus(status, err instanceof AppError ? err.message : "unreadable body");
  }
}

export function toResponse(r: MdmResponse): Response {
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  if (r.contentType) headers["content-type"] = r.contentType;
  return new Response(r.body ?? null, { status: r.status, headers });
}

const isResponse = (x: MdmRequest | MdmResponse): x is MdmResponse => "status" in x;

/** PUT /mdm/checkin */
export async function serveCheckin(request: Request): Promise<Response> {
  const req = await readMdmRequest(request, LIMITS.checkin, "check-in");
  return toResponse(isResponse(req) ? req : await handleCheckin(req));
}

/** PUT /mdm/connect */
export async function serveConnect(request: Request): Promise<Response> {
  const req = await readMdmRequest(request, LIMITS.command, "command report");
  return toResponse(isResponse(req) ? req : await handleConnect(req));
}
