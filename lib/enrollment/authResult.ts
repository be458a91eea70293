// What the account-driven sign-in steps answer: a redirect (to the IdP, back to the sign-in
// page, or to the device's apple-remotemanagement-user-login callback) or a short HTML error
// page with the status that ends the web authentication session, in the end-user frame
// (organisation, logo, support contact as the way out, the device's language).
import { messagePageHtml } from "./enrollHtml";
import { pageFrame } from "./enrollPage";

export type AuthResult =
  | { kind: "redirect"; status: 302 | 303 | 308; location: string }
  | { kind: "error"; status: 400 | 401 | 403 | 502; title: string; message: string };

export async function authResultResponse(request: Request, r: AuthResult): Promise<Response> {
  const common = { "cache-control": "no-store", "referrer-policy": "no-referrer" };
  if (r.kind === "redirect") return new Response(null, { status: r.status, headers: { ...common, location: r.location } });
  const frame = await pageFrame(request.headers.get("accept-language"), () => r.title);
  const html = messagePageHtml(frame, r.message, frame.t("signin.restart"));
  return new Response(html, {
    status: r.status,
    headers: { ...common, "content-type": "text/html; charset=utf-8", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'" },
  });
}
