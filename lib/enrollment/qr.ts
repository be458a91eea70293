// QR codes for enrollment URLs: the short link (/e/<id>) by default, so the code stays at
// version 4 (33×33 modules) or below and scans from a small printout or a projector; the
// full JWT link on request (?link=full). Error correction M (survives a smudge) unless only
// L keeps the code at version 4 or below.
import type { HttpFile } from "../http/respond";
import QRCode from "qrcode";
import { conflict, notFound } from "../errors";
import { getEnrollmentToken } from "./tokens";

/** Version 4 = 33×33 modules: the size a short link must fit. */
export const SMALL_QR_MAX_VERSION = 4;
const MARGIN = 4;

type Level = "M" | "L";

/** M when the text fits version 4 at M, else L when that fits, else M (a long link is big anyway). */
export function qrErrorCorrection(text: string): Level {
  for (const level of ["M", "L"] as const) {
    if (QRCode.create(text, { errorCorrectionLevel: level }).version <= SMALL_QR_MAX_VERSION) return level;
  }
  return "M";
}

function options(text: string) {
  return { errorCorrectionLevel: qrErrorCorrection(text), margin: MARGIN };
}

/** A PNG with at least `width` pixels per side, black on white, for printing or slides. */
export async function qrPng(text: string, width = 512): Promise<Buffer> {
  return QRCode.toBuffer(text, { ...options(text), type: "png", width });
}

/** A scalable SVG document. */
export async function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { ...options(text), type: "svg" });
}

export type QrFormat = "png" | "svg";
export type QrLink = "short" | "full";

export function parseQrLink(value: string | null): QrLink {
  return value === "full" ? "full" : "short";
}

/** Private (it enrolls devices), and the SVG may never run script if opened directly. */
const QR_DOWNLOAD = { cacheControl: "private, no-store", headers: { "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'" } };

/** The QR code of a token's enrollment URL (short by default), ready to serve as a download. */
export async function tokenQr(tokenId: string, format: QrFormat, link: QrLink = "short"): Promise<HttpFile & { filename: string }> {
  // The caller's route admits Admins and Owners only (seesEnrollmentSecrets).
  const token = await getEnrollmentToken(tokenId, { withLinks: true });
  if (!token) throw notFound("enrollment token");
  const url = link === "short" ? token.shortUrl : token.url;
  if (!url) throw conflict("token_unreadable", "the token's stored link cannot be decrypted (was MDM_SECRET changed?); generate a new token");
  const stem = `enroll-${
    token.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 40) || "token"
  }${link === "full" ? "-full" : ""}`;
  if (format === "png") return { ...QR_DOWNLOAD, body: await qrPng(url), contentType: "image/png", filename: `${stem}.png` };
  return { ...QR_DOWNLOAD, body: await qrSvg(url), contentType: "image/svg+xml", filename: `${stem}.svg` };
}
