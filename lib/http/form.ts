// Reads an application/x-www-form-urlencoded body (sign-in forms, OAuth token requests)
// with a size limit; anything else is refused as 415. Browsers encode a space as "+";
// Apple's OAuth client does not encode "+" at all (query.ts), so the token
// endpoint reads its body with `plusIsSpace: false`.
import { unsupportedMediaType } from "../errors";
import { readBody } from "./body";
import { parseQuery } from "./query";

export const FORM_LIMIT = 16 * 1024;

export async function readForm(request: Request, opts: { limit?: number; plusIsSpace?: boolean } = {}): Promise<URLSearchParams> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw unsupportedMediaType("send application/x-www-form-urlencoded");
  const bytes = await readBody(request, opts.limit ?? FORM_LIMIT);
  return parseQuery(new TextDecoder().decode(bytes), { plusIsSpace: opts.plusIsSpace ?? true });
}
