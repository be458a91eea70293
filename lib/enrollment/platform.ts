// Which install steps the enroll page shows first, from the User-Agent. Only a hint: iPadOS
// Safari sends a Mac user agent by default ("desktop-class browsing"), so the page always
// offers a switch (?platform=ios|macos, plain links).
export type EnrollPlatform = "ios" | "macos";

/**
 * What the visitor is using: an Apple device in a browser that can install profiles, an iOS
 * browser that cannot (Chrome, Firefox, Edge, in-app web views of Mail apps, Slack, Teams…:
 * only Safari hands a .mobileconfig to Settings), or not an Apple device at all.
 */
export type EnrollClient = { kind: "apple"; platform: EnrollPlatform } | { kind: "ios-not-safari" } | { kind: "not-apple"; os: "android" | "windows" | "other" };

/** iOS browsers and in-app web views that are not Safari (their UA tokens). */
const IOS_NOT_SAFARI =
  /\b(CriOS|FxiOS|EdgiOS|OPiOS|OPT|YaBrowser|DuckDuckGo|GSA|FBAN|FBAV|FBIOS|Instagram|LinkedInApp|Line|MicroMessenger|Twitter|Snapchat|Slack|Teams|MSTeams|Outlook-iOS|GoogleWv)\b/;

export function detectPlatform(userAgent: string | null | undefined): EnrollPlatform | null {
  const ua = userAgent ?? "";
  if (/\b(iPhone|iPad|iPod)\b/.test(ua)) return "ios";
  if (/\bMacintosh\b|\bMac OS X\b/.test(ua)) return "macos";
  return null;
}

export function detectClient(userAgent: string | null | undefined): EnrollClient {
  const ua = userAgent ?? "";
  const platform = detectPlatform(ua);
  if (platform === "ios") {
    // In-app web views (WKWebView) leave out the "Safari/" product token that Safari sends.
    if (IOS_NOT_SAFARI.test(ua) || !/\bSafari\//.test(ua)) return { kind: "ios-not-safari" };
    return { kind: "apple", platform };
  }
  if (platform === "macos") return { kind: "apple", platform };
  if (/\bAndroid\b/.test(ua)) return { kind: "not-apple", os: "android" };
  if (/\bWindows\b/.test(ua)) return { kind: "not-apple", os: "windows" };
  if (/\bLinux\b|\bCrOS\b/.test(ua)) return { kind: "not-apple", os: "other" };
  // Unknown agents (curl, link previewers, none at all) get the Apple steps, not a refusal.
  return { kind: "apple", platform: "ios" };
}

export function parsePlatform(value: string | null | undefined): EnrollPlatform | null {
  return value === "ios" || value === "macos" ? value : null;
}
