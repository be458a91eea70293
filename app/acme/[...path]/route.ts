// ACME (RFC 8555) with device-attest-01: every /acme/… resource, answered by lib/acme.
import { handleAcme } from "@/lib/acme/server";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Ctx = { params: Promise<{ path: string[] }> };

export async function GET(request: Request, ctx: Ctx): Promise<Response> {
  return handleAcme(request, (await ctx.params).path);
}

export async function HEAD(request: Request, ctx: Ctx): Promise<Response> {
  return handleAcme(request, (await ctx.params).path);
}

export async function POST(request: Request, ctx: Ctx): Promise<Response> {
  return handleAcme(request, (await ctx.params).path);
}
