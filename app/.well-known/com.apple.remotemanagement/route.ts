// Account-driven service discovery (seed 003 step 2). Organisations redirect their own
// https://<domain>/.well-known/com.apple.remotemanagement here, carrying the query string
// (read as the device writes it: a "+" in user-identifier is a plus).
import { discover } from "@/lib/enrollment/discovery";
import { remoteAddress } from "@/lib/http/remote";
import { requestQuery } from "@/lib/http/query";
import { handle, json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = handle(async (request: Request) => {
  const r = await discover(requestQuery(request.url), remoteAddress(request));
  return json(r.body, r.status, { "cache-control": "no-store" });
});
