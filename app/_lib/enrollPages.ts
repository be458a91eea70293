// The enroll path's answers at the HTTP edge: the enroll page and its error pages (compressed
// where accepted), profile downloads, and the account-driven sign-in steps' redirects and
// pages. lib/enrollment renders them from plain data; this reads the Request and makes the
// Response.
import { AUTH_PAGE_HEADERS, AUTH_RESULT_HEADERS, authErrorPage, type AuthResult } from "@/lib/enrollment/authResult";
import { enrollPage, PAGE_HEADERS, problemPage, type EnrollLink } from "@/lib/enrollment/enrollPage";
import type { OtaContext, ProfileDownload } from "@/lib/enrollment/otaService";
import { profileFile } from "@/lib/enrollment/profileResponse";
import { compressedResponse } from "@/lib/http/compress";
import { fileResponse } from "@/lib/http/respond";

/** An enroll-path refusal: the reason's branded, translated page with the given status. */
export async function problemPageResponse(request: Request, reason: string, status: number): Promise<Response> {
  const html = await problemPage(request.headers.get("accept-language"), reason);
  return compressedResponse(request, html, { status, headers: PAGE_HEADERS });
}

export async function enrollPageResponse(request: Request, link: EnrollLink, ctx: OtaContext): Promise<Response> {
  const { status, html } = await enrollPage(link, ctx, {
    platform: new URL(request.url).searchParams.get("platform"),
    userAgent: request.headers.get("user-agent"),
    acceptLanguage: request.headers.get("accept-language"),
  });
  return compressedResponse(request, html, { status, headers: PAGE_HEADERS });
}

/** The profile, or the refusal's page (the user arrives from a button: a JSON error would strand them). */
export async function profileDownloadResponse(request: Request, result: ProfileDownload): Promise<Response> {
  return result.ok ? fileResponse(profileFile(result)) : problemPageResponse(request, result.reason, result.status);
}

export async function authResultResponse(request: Request, r: AuthResult): Promise<Response> {
  if (r.kind === "redirect") return new Response(null, { status: r.status, headers: { ...AUTH_RESULT_HEADERS, location: r.location } });
  const html = await authErrorPage(request.headers.get("accept-language"), r.code, r.vars);
  return new Response(html, { status: r.status, headers: { ...AUTH_RESULT_HEADERS, ...AUTH_PAGE_HEADERS } });
}
