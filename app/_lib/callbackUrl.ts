// The edge half of the callbackUrl check: reads a next-auth request's query, cookie and form
// body (lib/auth/callbackUrl.ts judges the values).
import { callbackUrlsOf, isCallbackUrl } from "@/lib/auth/callbackUrl";
import { badRequest } from "@/lib/errors";
import { LIMITS, readBody } from "@/lib/http/body";

/** Throws a 400 when a next-auth request's callbackUrl (query, cookie or form body) is not a path or http(s) URL. */
export async function checkCallbackUrl(request: Request): Promise<void> {
  const form = request.method === "POST" && /^application\/x-www-form-urlencoded/i.test(request.headers.get("content-type") ?? "");
  // A clone: next-auth reads the body itself afterwards.
  const body = form ? new TextDecoder().decode(await readBody(request.clone(), LIMITS.json)) : null;
  if (callbackUrlsOf(new URL(request.url), request.headers.get("cookie"), body).some((v) => !isCallbackUrl(v))) {
    throw badRequest("invalid_callback_url", "callbackUrl (parameter or next-auth.callback-url cookie) must be a path starting with / or an http(s) URL");
  }
}
