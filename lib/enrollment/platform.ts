// Which install steps the enroll page shows first. Only a hint: iPadOS Safari sends a Mac
// user agent by default ("desktop-class browsing"), so the page always lets the user switch.
export type EnrollPlatform = "ios" | "macos";

export function detectPlatform(userAgent: string | null | undefined): EnrollPlatform | null {
  const ua = userAgent ?? "";
  if (/\b(iPhone|iPad|iPod)\b/.test(ua)) return "ios";
  if (/\bMacintosh\b|\bMac OS X\b/.test(ua)) return "macos";
  return null;
}

export function parsePlatform(value: string | null | undefined): EnrollPlatform | null {
  return value === "ios" || value === "macos" ? value : null;
}

export const PLATFORM_LABEL: Record<EnrollPlatform, string> = { ios: "iPhone & iPad", macos: "Mac" };
