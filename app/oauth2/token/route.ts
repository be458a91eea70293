// OAuth 2 method: the token endpoint (authorization_code and refresh_token grants).
import { AppError } from "@/lib/errors";
import { readForm } from "@/lib/http/form";
import { token } from "@/lib/enrollment/oauth";
import { remoteAddress } from "@/lib/http/remote";
import { handle, json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const POST = handle(async (request: Request) => {
  let form: URLSearchParams;
  try {
    form = await readForm(request, { plusIsSpace: false });
  } catch (err) {
    // RFC 6749 5.2: every token-endpoint error is JSON with an OAuth error code.
    if (err instanceof AppError) return json({ error: "invalid_request", error_description: err.message }, 400, { "cache-control": "no-store" });
    throw err;
  }
  const r = await token(form, remoteAddress(request), request.headers.get("authorization"));
  return json(r.body, r.status, r.headers);
});
