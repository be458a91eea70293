// First line of defence for the portal: no session cookie means /admin pages redirect
// to sign-in and /api/v1 answers 401 before any page code runs. Pages, actions and API
// handlers still check the session and role themselves (app/_lib/session.ts, app/_lib/adminApi.ts).
// For the enrollment sign-in page it hands the raw query string to the page (RAW_QUERY_HEADER):
// pages only get it form-decoded, which turns the "+" a device leaves in user-identifier into
// a space (lib/http/query.ts).
import { NextResponse, type NextRequest } from "next/server";
import { RAW_QUERY_HEADER } from "./lib/http/query";

const SESSION_COOKIES = ["next-auth.session-token", "__Secure-next-auth.session-token"];

function hasSessionCookie(request: NextRequest): boolean {
  return SESSION_COOKIES.some((name) => request.cookies.has(name) || request.cookies.getAll().some((c) => c.name.startsWith(`${name}.`)));
}

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (pathname === "/authenticate" || pathname.startsWith("/authenticate/")) {
    const headers = new Headers(request.headers);
    headers.set(RAW_QUERY_HEADER, new URL(request.url).search);
    return NextResponse.next({ request: { headers } });
  }
  if (pathname.startsWith("/api/v1/") && !request.headers.get("authorization") && !hasSessionCookie(request)) {
    return NextResponse.json({ error: "unauthorized", message: "sign in or send an API key" }, { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="api"' } });
  }
  if ((pathname === "/admin" || pathname.startsWith("/admin/")) && !hasSessionCookie(request)) {
    const url = request.nextUrl.clone();
    url.pathname = "/signin";
    url.search = `?callbackUrl=${encodeURIComponent(pathname + search)}`;
    return NextResponse.redirect(url);
  }
  return NextResponse.next();
}

export const config = {
  matcher: ["/admin", "/admin/:path*", "/api/v1/:path*", "/authenticate", "/authenticate/:path*"],
};
