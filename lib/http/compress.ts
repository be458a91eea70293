// Compressed text responses for pages we render ourselves (Next's own compression is gzip
// only): Brotli when the client accepts it, else gzip, else identity. Vary tells caches.
// Next drops Content-Encoding from route handler responses (it assumes fetch decoded the
// body), so the encoding also travels in ENCODED_BODY_HEADER, which scripts/serve.mjs turns
// back into Content-Encoding; "no-transform" keeps Next's gzip off the already-encoded bytes.
import zlib from "node:zlib";

export const ENCODED_BODY_HEADER = "x-enroll-content-encoding";

export type ContentEncoding = "br" | "gzip" | "identity";

/** The best encoding the Accept-Encoding header allows (q=0 refuses one). */
export function negotiateEncoding(acceptEncoding: string | null | undefined): ContentEncoding {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? "").slice(0, 512).split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)).find(Boolean);
    accepted.set(name.trim(), q ? Number(q[1]) : 1);
  }
  const ok = (name: string) => (accepted.get(name) ?? accepted.get("*") ?? 0) > 0;
  if (ok("br")) return "br";
  if (ok("gzip")) return "gzip";
  return "identity";
}

export function encodeBody(body: string | Uint8Array, encoding: ContentEncoding): Uint8Array {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
  if (encoding === "br") return new Uint8Array(zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
  if (encoding === "gzip") return new Uint8Array(zlib.gzipSync(bytes, { level: 9 }));
  return new Uint8Array(bytes);
}

/** A response whose body is compressed for this request. */
export function compressedResponse(request: Request, body: string | Uint8Array, init: { status: number; headers: Record<string, string> }): Response {
  const encoding = negotiateEncoding(request.headers.get("accept-encoding"));
  const headers: Record<string, string> = { ...init.headers, vary: "Accept-Encoding" };
  if (encoding !== "identity") {
    headers["content-encoding"] = encoding;
    headers[ENCODED_BODY_HEADER] = encoding;
    headers["cache-control"] = [headers["cache-control"], "no-transform"].filter(Boolean).join(", ");
  }
  return new Response(request.method === "HEAD" ? null : Buffer.from(encodeBody(body, encoding)), { status: init.status, headers });
}
