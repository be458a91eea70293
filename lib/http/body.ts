// Reading request bodies from hostile clients: a hard size limit enforced while
// streaming, so an oversized body is never buffered whole.
import { badRequest, payloadTooLarge } from "../errors";

export const LIMITS = {
  scep: 256 * 1024,
  checkin: 256 * 1024,
  command: 4 * 1024 * 1024,
  json: 1024 * 1024,
  profileUpload: 2 * 1024 * 1024,
  ocsp: 16 * 1024,
} as const;

export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw payloadTooLarge(limit);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw payloadTooLarge(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

export async function readJson<T = unknown>(request: Request, limit: number = LIMITS.json): Promise<T> {
  const bytes = await readBody(request, limit);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    throw badRequest("invalid_json", "request body is not valid JSON");
  }
}
