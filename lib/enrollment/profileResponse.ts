// HTTP answers for profile downloads: the signed .mobileconfig (with the reservation cookie
// that lets this browser re-download without spending another use), or, when refused, the
// reason's status with the enroll path's branded, translated error page (the user arrives
// here from a button, so a JSON error would strand them).
import { config } from "../config";
import { problemPage } from "./enrollPage";
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

export async function profileDownloadResponse(request: Request, result: ProfileDownload): Promise<Response> {
  if (result.ok) {
    return new Response(new Uint8Array(result.body), {
      status: 200,
      headers: {
        "content-type": result.contentType,
        "content-disposition": `attachment; filename="${result.filename}"`,
        "cache-control": "no-store",
        "set-cookie": reservationSetCookie(result.cookie),
      },
    });
  }
  return problemPage(request, result.reason, result.status);
}
