// Where /signin sends the admin after signing in. Only a same-origin path: "//host" and
// "/\host" are protocol-relative in browsers (the form calls window.location.assign on it).
export function safeCallbackPath(value: unknown, fallback = "/admin"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return fallback;
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  // Control characters (tab, newline) are stripped by URL parsers, turning "/\t/host" into "//host".
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  try {
    const base = "https://same-origin.invalid";
    if (new URL(value, base).origin !== base) return fallback;
  } catch {
    return fallback;
  }
  return value;
}

/**
 * Whether next-auth can take a callbackUrl: a path, or an absolute http(s) URL. next-auth
 * answers anything else with a 500 (its configuration check), so such a request gets a 400 first.
 */
export function isCallbackUrl(value: string): boolean {
  if (value.length > 2048) return false;
  try {
    return /^https?:$/.test(new URL(value, value.startsWith("/") ? "https://same-origin.invalid" : undefined).protocol);
  } catch {
    return false;
  }
}

/** next-auth's callback-url cookie (plain, or __Secure- on https). */
const CALLBACK_COOKIE = /^(?:__Secure-)?next-auth\.callback-url$/;

/** The callbackUrl values of a next-auth request: its query, its cookie, and its form body on POST (read by app/_lib/callbackUrl.ts). */
export function callbackUrlsOf(url: URL, cookieHeader: string | null, formBody: string | null): string[] {
  const values = url.searchParams.getAll("callbackUrl");
  for (const part of (cookieHeader ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || !CALLBACK_COOKIE.test(part.slice(0, eq).trim())) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      values.push(decodeURIComponent(raw));
    } catch {
      values.push(raw);
    }
  }
  if (formBody !== null) values.push(...new URLSearchParams(formBody).getAll("callbackUrl"));
  return values.filter((v) => v !== "");
}

/**
 * next-auth's redirect callback: same-origin paths and URLs, anything else the base URL. Unlike
 * next-auth's default it never throws (the callback-url cookie is client input too).
 */
export function sameOriginRedirect({ url, baseUrl }: { url: string; baseUrl: string }): string {
  if (url.startsWith("/") && !url.startsWith("//") && !url.startsWith("/\\")) return `${baseUrl}${url}`;
  try {
    return new URL(url).origin === new URL(baseUrl).origin ? url : baseUrl;
  } catch {
    return baseUrl;
  }
}
