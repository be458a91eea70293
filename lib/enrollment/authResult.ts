// What the account-driven sign-in steps answer: a redirect (to the IdP, back to the sign-in
// page, or to the device's apple-remotemanagement-user-login callback) or a short HTML error
// page with the status that ends the web authentication session.
export type AuthResult =
  | { kind: "redirect"; status: 302 | 303 | 308; location: string }
  | { kind: "error"; status: 400 | 401 | 403 | 502; title: string; message: string };

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

export function errorPageHtml(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font-family:-apple-system,system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1.25rem;color:#111}h1{font-size:1.35rem}p{color:#444;line-height:1.5}</style></head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p>Close this window and start the enrollment again in Settings.</p></main></body></html>`;
}

export function authResultResponse(r: AuthResult): Response {
  const common = { "cache-control": "no-store", "referrer-policy": "no-referrer" };
  if (r.kind === "redirect") return new Response(null, { status: r.status, headers: { ...common, location: r.location } });
  return new Response(errorPageHtml(r.title, r.message), { status: r.status, headers: { ...common, "content-type": "text/html; charset=utf-8" } });
}
