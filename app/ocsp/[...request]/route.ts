// OCSP over GET (RFC 6960 A.1): /ocsp/<url-encoded base64 OCSPRequest>; unencoded '/' splits it into segments.
import { ocspHttp } from "@/app/_lib/ocspHttp";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  // The raw path, not Next's decoded segments: base64's '+' and an encoded '/' must survive as sent.
  const path = new URL(request.url).pathname;
  return ocspHttp(request, path.slice(path.indexOf("/ocsp/") + "/ocsp/".length));
}

export async function POST(request: Request): Promise<Response> {
  return ocspHttp(request, null);
}
