// NDES-compatible challenge URL for SCEP profiles of type NDES (HTTP basic auth).
import { remoteAddress } from "@/lib/http/remote";
import { fileResponse, handle } from "@/lib/http/respond";
import { ndesChallengePage } from "@/lib/scep/ndes";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = handle(async (request: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> => {
  return fileResponse(await ndesChallengePage((await ctx.params).id, request.headers.get("authorization"), remoteAddress(request)));
});
