// Checks scripts/serve.mjs makes before a request reaches Next.js, for input Next itself
// answers with a 500. Plain JavaScript: serve.mjs runs without a TypeScript loader.

/**
 * Whether the request path's percent-encoding decodes, to no NUL. Next decodes dynamic route
 * parameters and answers 500 for "%zz" or a broken UTF-8 sequence such as "%E0%A4%A"; a NUL
 * ("%00") in a parameter reaches the database, which PostgreSQL refuses in text (a 500). A
 * sequence cannot span a "/", so decoding the whole path checks every parameter of every route.
 * @param {string} url the request target (path and query)
 * @returns {boolean}
 */
export function pathDecodes(url) {
  const q = url.indexOf("?");
  const pathname = q === -1 ? url : url.slice(0, q);
  if (!pathname.includes("%")) return true;
  try {
    return !decodeURIComponent(pathname).includes("\u0000");
  } catch {
    return false;
  }
}

/** The 400 body for a path that does not decode. */
export const MALFORMED_PATH_BODY = JSON.stringify({
  error: "malformed_path",
  message: "the request path has a malformed percent-encoding (each % must start a valid UTF-8 escape such as %20, and none may be %00)",
});
