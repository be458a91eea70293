// The organisation's logo: uploaded by an admin, checked by its bytes (PNG, JPEG or WebP, no
// SVG: it can carry script), at most LOGO_MAX_BYTES, stored as a setting and served from our
// own origin (/branding/logo) so enroll pages load nothing from elsewhere.
import crypto from "node:crypto";
import { z } from "zod";
import { badRequest } from "../errors";
import type { HttpFile } from "../http/respond";
import { readSetting, writeSetting } from "./store";

const KEY = "branding.logo";
export const LOGO_MAX_BYTES = 100 * 1024;
export type LogoType = "image/png" | "image/jpeg" | "image/webp";

const storedSchema = z.object({ contentType: z.enum(["image/png", "image/jpeg", "image/webp"]), data: z.string(), sha256: z.string() });

export interface BrandingLogo {
  contentType: LogoType;
  bytes: Uint8Array;
  /** Hex SHA-256 of the bytes: the ETag, and the cache-busting query of the logo's URL. */
  sha256: string;
}

/** The image type by magic bytes, never by the file name or the browser's claim. */
export function sniffLogoType(bytes: Uint8Array): LogoType | null {
  const b = Buffer.from(bytes);
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b.length >= 12 && b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WEBP") return "image/webp";
  return null;
}

export async function getBrandingLogo(): Promise<BrandingLogo | null> {
  const parsed = storedSchema.safeParse(await readSetting(KEY));
  if (!parsed.success) return null;
  return { contentType: parsed.data.contentType, bytes: new Uint8Array(Buffer.from(parsed.data.data, "base64")), sha256: parsed.data.sha256 };
}

/** Where pages load the logo from, or null without one. The hash makes a new logo a new URL. */
export async function brandingLogoUrl(): Promise<string | null> {
  const parsed = storedSchema.safeParse(await readSetting(KEY));
  return parsed.success ? `/branding/logo?v=${parsed.data.sha256.slice(0, 16)}` : null;
}

export async function setBrandingLogo(bytes: Uint8Array): Promise<BrandingLogo> {
  if (bytes.length === 0) throw badRequest("invalid_logo", "the logo file is empty");
  if (bytes.length > LOGO_MAX_BYTES) throw badRequest("invalid_logo", `the logo must be at most ${LOGO_MAX_BYTES / 1024} KB`);
  const contentType = sniffLogoType(bytes);
  if (!contentType) throw badRequest("invalid_logo", "the logo must be a PNG, JPEG or WebP image");
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  await writeSetting(KEY, { contentType, data: Buffer.from(bytes).toString("base64"), sha256 });
  return { contentType, bytes, sha256 };
}

export async function removeBrandingLogo(): Promise<void> {
  await writeSetting(KEY, null);
}

/** The logo as served (null without one). nosniff + CSP: it is only ever an image. */
export async function brandingLogoFile(): Promise<HttpFile | null> {
  const logo = await getBrandingLogo();
  if (!logo) return null;
  return {
    body: logo.bytes,
    contentType: logo.contentType,
    cacheControl: "public, max-age=86400",
    headers: { etag: `"${logo.sha256.slice(0, 32)}"`, "x-content-type-options": "nosniff", "content-security-policy": "default-src 'none'" },
  };
}
