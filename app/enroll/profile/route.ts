// The profile download: POST from the enroll page's form (token in the body), or GET with
// ?token= for scripted use. Refusals answer with the reason's status and a short page.
import { profileDownloadResponse } from "@/app/_lib/enrollPages";
import { downloadEnrollmentProfile } from "@/lib/enrollment/otaService";
import { parseCookies } from "@/lib/enrollment/profileResponse";
import { readBody } from "@/lib/http/body";
import { remoteAddress } from "@/lib/http/remote";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const FORM_LIMIT = 16 * 1024;

async function paramsFrom(request: Request): Promise<URLSearchParams> {
  if (request.method === "GET") return new URL(request.url).searchParams;
  try {
    return new URLSearchParams(new TextDecoder().decode(await readBody(request, FORM_LIMIT)));
  } catch {
    return new URLSearchParams(); // oversized or unreadable form: treated as a missing token, never a 500
  }
}

async function handler(request: Request): Promise<Response> {
  const params = await paramsFrom(request);
  return profileDownloadResponse(
    request,
    await downloadEnrollmentProfile(params.get("token"), {
      remoteAddr: remoteAddress(request),
      cookies: parseCookies(request.headers.get("cookie")),
      acceptedTerms: params.get("acceptTerms"),
    }),
  );
}

export const GET = handler;
export const POST = handler;
