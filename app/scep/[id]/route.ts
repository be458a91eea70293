// SCEP (RFC 8894) for one SCEP profile: GetCACaps, GetCACert, PKIOperation.
import { handleScepHttp } from "@/app/_lib/scepHttp";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Ctx = { params: Promise<{ id: string }> };

export async function GET(request: Request, ctx: Ctx): Promise<Response> {
  return handleScepHttp(request, (await ctx.params).id);
}

export async function POST(request: Request, ctx: Ctx): Promise<Response> {
  return handleScepHttp(request, (await ctx.params).id);
}
