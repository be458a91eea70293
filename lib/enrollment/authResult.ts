// What the account-driven sign-in steps answer: a redirect (to the IdP, back to the sign-in
// page, or to the device's apple-remotemanagement-user-login callback) or a short HTML error
// page with the status that ends the web authentication session, in the end-user frame
// (organisation, logo, support contact as the way out, the device's language).
// app/_lib/enrollPages.ts turns an AuthResult into the response.
import { translator } from "../i18n";
import { messagePageHtml } from "./enrollHtml";
import { pageFrame } from "./enrollPage";

/** Why a sign-in step refused; each names its end-user strings signin.fail.<code>.title/.message (lib/i18n/catalogs). */
export type AuthRefusal = "sso_off" | "password_off" | "expired" | "bad_start" | "unavailable" | "incomplete" | "unverified" | "wrong_account" | "no_email" | "not_available" | "terms" | "bad_request";

export type AuthResult = { kind: "redirect"; status: 302 | 303 | 308; location: string } | { kind: "error"; status: 400 | 401 | 403 | 502; code: AuthRefusal; vars?: Record<string, string> };

/** The refusal in English: what an OAuth 2 client gets as error_description (RFC 6749 4.1.2.1). */
export function refusalDescription(code: AuthRefusal, vars?: Record<string, string>): string {
  return translator("en")(`signin.fail.${code}.message`, vars);
}

/** Headers of every sign-in step's answer, redirect or page. */
export const AUTH_RESULT_HEADERS: Record<string, string> = { "cache-control": "no-store", "referrer-policy": "no-referrer" };

/** Headers of a sign-in step's error page (no script, nothing framed). */
export const AUTH_PAGE_HEADERS: Record<string, string> = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
};

/** The error page of a refused sign-in step, in the visitor's language. */
export async function authErrorPage(acceptLanguage: string | null, code: AuthRefusal, vars?: Record<string, string>): Promise<string> {
  const frame = await pageFrame(acceptLanguage, (t) => t(`signin.fail.${code}.title`));
  return messagePageHtml(frame, frame.t(`signin.fail.${code}.message`, vars), frame.t("signin.restart"));
}
