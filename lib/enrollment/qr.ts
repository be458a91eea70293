// QR codes for enrollment URLs (seed 000: "The QR code encodes the full enrollment URL").
// Error correction M: survives a smudged printout without making the code much denser.
import QRCode from "qrcode";
import { conflict, notFound } from "../errors";
import { getEnrollmentToken } from "./tokens";

const OPTIONS = { errorCorrectionLevel: "M" as const, margin: 4 };

/** A PNG with at least `width` pixels per side, black on white, for printing or slides. */
export async function qrPng(text: string, width = 512): Promise<Buffer> {
  return QRCode.toBuffer(text, { ...OPTIONS, type: "png", width });
}

/** A scalable SVG document. */
export async function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { ...OPTIONS, type: "svg" });
}

/** A data: URL of the PNG, for showing the code inline in the portal. */
export async function qrDataUrl(text: string, width = 256): Promise<string> {
  return QRCode.toDataURL(text, { ...OPTIONS, width });
}

export type QrFormat = "png" | "svg";

/** The QR code of a token's enrollment URL, ready to serve as a download. */
export async function tokenQr(tokenId: string, format: QrFormat): Promise<{ body: Uint8Array | string; contentType: string; filename: string }> {
  const token = await getEnrollmentToken(tokenId);
  if (!token) throw notFound("enrollment token");
  if (!token.url) throw conflict("token_unreadable", "the token's stored link cannot be decrypted (was MDM_SECRET changed?); generate a new token");
  const stem = `enroll-${token.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40) || "token"}`;
  if (format === "png") return { body: await qrPng(token.url), contentType: "image/png", filename: `${stem}.png` };
  return { body: await qrSvg(token.url), contentType: "image/svg+xml", filename: `${stem}.svg` };
}
