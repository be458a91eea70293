// NDES-compatible challenge URL for SCEP profiles of type NDES (HTTP basic auth).
import { handleNdesHttp } from "@/lib/scep/ndes";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  return handleNdesHttp(request, (await ctx.params).id);
}
