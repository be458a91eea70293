// OCSP responder (RFC 6960): POST application/ocsp-request. GET with the request in the path is /ocsp/<base64>.
import { ocspHttp } from "@/app/_lib/ocspHttp";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  return ocspHttp(request, null);
}

/** GET without a request: malformedRequest, like any other unreadable request. */
export async function GET(request: Request): Promise<Response> {
  return ocspHttp(request, null);
}
