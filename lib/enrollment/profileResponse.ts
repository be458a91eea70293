// Profile downloads at the HTTP edge: the signed .mobileconfig as a file, with the
// reservation cookie that lets this browser re-download without spending another use.
// A refusal answers with the enroll path's error page (app/_lib/enrollPages.ts).
import { config } from "../config";
import type { HttpFile } from "../http/respond";
import type { ProfileDownload, ReservationCookie } from "./otaService";

/** Cookie header → name/value pairs (names and values as sent; at most 50 pairs, 8 KB). */
export function parseCookies(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header || header.length > 8192) return out;
  for (const part of header.split(";").slice(0, 50)) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** The reservation cookie: only this server's enroll paths see it, never scripts. */
export function reservationSetCookie(c: ReservationCookie): string {
  const secure = config().publicUrl.startsWith("https:") ? "; Secure" : "";
  return `${c.name}=${c.value}; Path=/enroll; Max-Age=${c.maxAge}; HttpOnly; SameSite=Lax${secure}`;
}

/** The signed profile as a download, setting the reservation cookie. */
export function profileFile(result: Extract<ProfileDownload, { ok: true }>): HttpFile {
  return { body: result.body, contentType: result.contentType, filename: result.filename, cacheControl: "no-store", headers: { "set-cookie": reservationSetCookie(result.cookie) } };
}
