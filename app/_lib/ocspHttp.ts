// The OCSP responder's HTTP side (RFC 6960 A.1), an edge helper for app/ocsp: reads the POST
// body under its limit or takes the GET path, and answers what lib/pki/ocsp makes of it.
import { AppError } from "@/lib/errors";
import { LIMITS, readBody } from "@/lib/http/body";
import { fileResponse } from "@/lib/http/respond";
import { log } from "@/lib/log/logger";
import { ocspAnswer, ocspRequestFromPath } from "@/lib/pki/ocsp";

/** POST /ocsp (application/ocsp-request body) or GET /ocsp/<base64> (getPath, as sent). */
export async function ocspHttp(request: Request, getPath: string | null): Promise<Response> {
  let der: Uint8Array | null = null;
  if (request.method === "POST") {
    try {
      der = await readBody(request, LIMITS.ocsp);
    } catch (err) {
      if (!(err instanceof AppError)) log.warn("OCSP request body unreadable", { err });
      der = null;
    }
  } else if (getPath !== null) {
    der = ocspRequestFromPath(getPath);
  }
  return fileResponse(await ocspAnswer(request.method, der));
}
