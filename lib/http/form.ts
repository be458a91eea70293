// Reads an application/x-www-form-urlencoded body (sign-in forms, OAuth token requests)
// with a size limit; anything else is refused as 415. Browsers encode a space as "+";
// Apple's OAuth client does not encode "+" at all (query.ts), so the token
// endpoint reads its body with `plusIsSpace: false`.
import { AppError, badRequest, unsupportedMediaType } from "../errors";
import { readBody } from "./body";
import { parseQuery } from "./query";

export const FORM_LIMIT = 16 * 1024;

export async function readForm(request: Request, opts: { limit?: number; plusIsSpace?: boolean } = {}): Promise<URLSearchParams> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw unsupportedMediaType("send application/x-www-form-urlencoded");
  const bytes = await readBody(request, opts.limit ?? FORM_LIMIT);
  return parseQuery(new TextDecoder().decode(bytes), { plusIsSpace: opts.plusIsSpace ?? true });
}

/**
 * Reads a multipart/form-data body (a file upload) of at most fileLimit bytes plus the form's
 * overhead; a larger declared Content-Length is refused before reading.
 */
export async function readMultipart(request: Request, fileLimit: number, overhead = 64 * 1024): Promise<FormData> {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > fileLimit + overhead) throw new AppError(413, "payload_too_large", `upload exceeds ${fileLimit} bytes`);
  const bytes = await readBody(request, fileLimit + overhead);
  try {
    return await new Response(Buffer.from(bytes), { headers: { "content-type": type } }).formData();
  } catch {
    throw badRequest("invalid_form", "multipart body could not be read");
  }
}
