// HTTP answers for profile downloads: the signed .mobileconfig, or, when refused, the
// reason's status with a small self-contained page in the enroll page's words (the user
// arrives here from a button, so a JSON error would strand them).
import { config } from "../config";
import { reasonInfo } from "../log/reasons";
import type { ProfileDownload, ReservationCookie } from "./otaService";

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

const SERVER_ERROR = {
  title: "The profile could not be prepared",
  userMessage: "Something went wrong on the server while preparing your profile. Your enrollment link was not used up.",
  userFix: "Try again in a minute. If it keeps happening, tell your IT team.",
  fix: "Check the server log and the Enrollment Log (step ota.profile) for the error.",
};

export function refusalPage(reason: string): string {
  const info = reason === "server_error" ? SERVER_ERROR : reasonInfo(reason);
  const title = info?.title ?? "This enrollment link cannot be used";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)}</title>
<style>body{font:16px/1.5 -apple-system,system-ui,sans-serif;margin:0;padding:32px 16px;background:#f8fafc;color:#0f172a}main{max-width:28rem;margin:auto}section{border:1px solid #fecaca;background:#fef2f2;border-radius:16px;padding:20px}h1{font-size:1.25rem;margin:0 0 8px}small{display:block;margin-top:12px;color:#7f1d1d}</style>
</head><body><main><section role="alert"><h1>${esc(title)}</h1>
${info?.userMessage ? `<p>${esc(info.userMessage)}</p>` : ""}${info?.userFix ? `<p><strong>${esc(info.userFix)}</strong></p>` : ""}
<small>For your IT team: ${esc(info?.fix ?? "Check the Enrollment Log.")} (reason: ${esc(reason)})</small></section></main></body></html>`;
}

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
  const maxAge = c.maxAge;
  const secure = config().publicUrl.startsWith("https:") ? "; Secure" : "";
  return `${c.name}=${c.value}; Path=/enroll; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure}`;
}

export function profileDownloadResponse(result: ProfileDownload): Response {
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
  return new Response(refusalPage(result.reason), {
    status: result.status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "referrer-policy": "no-referrer" },
  });
}
