// Reading request bodies from hostile clients: a hard size limit enforced while
// streaming, so an oversized body is never buffered whole.
import crypto from "node:crypto";
import { badRequest, payloadTooLarge } from "../errors";

export const LIMITS = {
  scep: 256 * 1024,
  checkin: 256 * 1024,
  command: 4 * 1024 * 1024,
  /** A command report above `command` is only hashed (to check its signature), up to this size. */
  commandHashed: 64 * 1024 * 1024,
  json: 1024 * 1024,
  profileUpload: 2 * 1024 * 1024,
  ocsp: 16 * 1024,
} as const;

export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const r = await readBodyOrOversize(request, limit, { hashLimit: limit, headBytes: 0, hash: null });
  if ("oversize" in r) throw payloadTooLarge(limit); // unreachable: hashLimit is the limit
  return r.body;
}

export async function readJson<T = unknown>(request: Request, limit: number = LIMITS.json): Promise<T> {
  const bytes = await readBody(request, limit);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    throw badRequest("invalid_json", "request body is not valid JSON");
  }
}

/** A body above its limit: its size, its first bytes, and its digest (when a hash was asked for). */
export interface OversizeBody {
  size: number;
  head: Uint8Array;
  digest: { hash: string; value: Uint8Array } | null;
}

/**
 * readBody, except that a body above `limit` (up to `hashLimit`) is not refused but kept as
 * its first `headBytes` and hashed while streaming, so the caller can still check who sent
 * it and act on it. Above `hashLimit` it is refused as too large.
 */
export async function readBodyOrOversize(
  request: Request,
  limit: number,
  opts: { hashLimit: number; headBytes: number; hash: string | null },
): Promise<{ body: Uint8Array } | { oversize: OversizeBody }> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > opts.hashLimit) throw payloadTooLarge(opts.hashLimit);
  if (!request.body) return { body: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let over = false;
  let hasher: crypto.Hash | null = null;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > opts.hashLimit) {
      await reader.cancel().catch(() => undefined);
      throw payloadTooLarge(opts.hashLimit);
    }
    if (over) {
      hasher?.update(value);
      continue;
    }
    chunks.push(value);
    if (size > limit) {
      // From here on only the digest grows: hash what was kept, keep the head, drop the rest.
      over = true;
      hasher = opts.hash ? crypto.createHash(opts.hash) : null;
      for (const c of chunks) hasher?.update(c);
      const head = concat(chunks, Math.min(size, opts.headBytes));
      chunks.length = 0;
      chunks.push(head);
    }
  }
  if (!over) return { body: concat(chunks, size) };
  return { oversize: { size, head: chunks[0], digest: hasher && opts.hash ? { hash: opts.hash, value: new Uint8Array(hasher.digest()) } : null } };
}

function concat(chunks: Uint8Array[], max: number): Uint8Array {
  const out = new Uint8Array(max);
  let offset = 0;
  for (const c of chunks) {
    if (offset >= max) break;
    const part = c.subarray(0, max - offset);
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
