// Reads a QR code back from PNG bytes (jsqr on pngjs pixels), as a phone camera would.
import jsQR from "jsqr";
import { PNG } from "pngjs";

export function decodeQrPng(png: Buffer): string | null {
  const img = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(img.data), img.width, img.height)?.data ?? null;
}
