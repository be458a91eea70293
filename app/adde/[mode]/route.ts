// The account-driven enrollment BaseURL: /adde/byod (user enrollment) and /adde/adde
// (device enrollment), as service discovery announced (seed 003 steps 4 and 12).
import { enroll, ENROLL_BODY_LIMIT } from "@/lib/enrollment/addeService";
import { MODE_VERSION, isSignInMode } from "@/lib/enrollment/userSignIn";
import { readBody } from "@/lib/http/body";
import { remoteAddress } from "@/lib/http/remote";
import { handle } from "@/lib/http/respond";
import { notFound } from "@/lib/errors";

export const dynamic = "force-dynamic";

export const POST = handle(async (request: Request, ctx: { params: Promise<{ mode: string }> }) => {
  const { mode } = await ctx.params;
  if (!isSignInMode(mode)) throw notFound("enrollment endpoint");
  const body = await readBody(request, ENROLL_BODY_LIMIT);
  const r = await enroll({ version: MODE_VERSION[mode], body, authorization: request.headers.get("authorization"), remoteAddr: remoteAddress(request) });
  return new Response(r.body ? Buffer.from(r.body) : null, { status: r.status, headers: r.headers });
});
