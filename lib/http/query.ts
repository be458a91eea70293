// Query strings and form bodies as Apple's clients write them. NSURLComponents percent-
// encodes only what RFC 3986 forbids in a query, so a `+` in a value (name+tag@company.com
// in user-identifier or login_hint, a client_id) arrives unencoded; the WHATWG form
// decoding (URLSearchParams) would turn it into a space. This reader decodes %XX only.
// Browsers' own form posts (the sign-in page) keep the standard decoding (`plusIsSpace`).

/** The request's query exactly as sent, which proxy.ts sets (overwriting) for pages that need it. */
export const RAW_QUERY_HEADER = "x-enroll-raw-query";

function decode(s: string, plusIsSpace: boolean): string {
  const t = plusIsSpace ? s.replace(/\+/g, " ") : s;
  try {
    return decodeURIComponent(t);
  } catch {
    // A stray "%" is kept as sent; validation of the value refuses it where it matters.
    return t;
  }
}

/** Parses `a=1&b=2` (a leading "?" is ignored); repeated names keep every value in order. */
export function parseQuery(raw: string, opts: { plusIsSpace?: boolean } = {}): URLSearchParams {
  const out = new URLSearchParams();
  const s = raw.startsWith("?") ? raw.slice(1) : raw;
  if (!s) return out;
  for (const part of s.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const name = decode(eq < 0 ? part : part.slice(0, eq), !!opts.plusIsSpace);
    out.append(name, eq < 0 ? "" : decode(part.slice(eq + 1), !!opts.plusIsSpace));
  }
  return out;
}

/** The query of a request URL as a device sent it. */
export function requestQuery(url: string): URLSearchParams {
  return parseQuery(new URL(url).search);
}
