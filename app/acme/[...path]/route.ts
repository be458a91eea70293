// ACME (RFC 8555) with device-attest-01: every /acme/… resource, answered by lib/acme.
import { ACME_BODY_LIMIT, handleAcme } from "@/lib/acme/server";
import { readBody } from "@/lib/http/body";
import { remoteAddress } from "@/lib/http/remote";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Ctx = { params: Promise<{ path: string[] }> };

async function answer(request: Request, ctx: Ctx): Promise<Response> {
  const remoteAddr = remoteAddress(request);
  const { path } = await ctx.params;
  const a = await handleAcme({ method: request.method, path, contentType: request.headers.get("content-type"), remoteAddr, body: () => readBody(request, ACME_BODY_LIMIT) });
  return new Response(a.body, { status: a.status, headers: a.headers });
}

export async function GET(request: Request, ctx: Ctx): Promise<Response> {
  return answer(request, ctx);
}

export async function HEAD(request: Request, ctx: Ctx): Promise<Response> {
  return answer(request, ctx);
}

export async function POST(request: Request, ctx: Ctx): Promise<Response> {
  return answer(request, ctx);
}
