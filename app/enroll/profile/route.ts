// The profile download: POST from the enroll page's form (token in the body), or GET with
// ?token= for scripted use. Refusals answer with the reason's status and a short page.
import { downloadEnrollmentProfile } from "@/lib/enrollment/otaService";
import { profileDownloadResponse } from "@/lib/enrollment/profileResponse";
import { readBody } from "@/lib/http/body";
import { remoteAddress } from "@/lib/http/remote";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const FORM_LIMIT = 16 * 1024;

async function tokenFrom(request: Request): Promise<string | null> {
  if (request.method === "GET") return new URL(request.url).searchParams.get("token");
  try {
    const body = new TextDecoder().decode(await readBody(request, FORM_LIMIT));
    return new URLSearchParams(body).get("token");
  } catch {
    return null; // oversized or unreadable form: treated as a missing token, never a 500
  }
}

async function handler(request: Request): Promise<Response> {
  const token = await tokenFrom(request);
  return profileDownloadResponse(request, await downloadEnrollmentProfile(token, { remoteAddr: remoteAddress(request) }));
}

export const GET = handler;
export const POST = handler;
