// Account-driven service discovery (seed 003 step 2). Organisations redirect their own
// https://<domain>/.well-known/com.apple.remotemanagement here, carrying the query string.
import { discover } from "@/lib/enrollment/discovery";
import { remoteAddress } from "@/lib/http/remote";
import { handle, json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = handle(async (request: Request) => {
  const r = await discover(new URL(request.url).searchParams, remoteAddress(request));
  return json(r.body, r.status, { "cache-control": "no-store" });
});
