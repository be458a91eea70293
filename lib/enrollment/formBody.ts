// Reads an application/x-www-form-urlencoded body (sign-in forms, OAuth token requests)
// with a size limit; anything else is refused as 415.
import { unsupportedMediaType } from "../errors";
import { readBody } from "../http/body";

export const FORM_LIMIT = 16 * 1024;

export async function readForm(request: Request, limit = FORM_LIMIT): Promise<URLSearchParams> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw unsupportedMediaType("send application/x-www-form-urlencoded");
  const bytes = await readBody(request, limit);
  return new URLSearchParams(new TextDecoder().decode(bytes));
}
