// Invalidates every account-driven token of a user; their devices must sign in again.
import { withAdminApi } from "@/app/_lib/adminApi";
import { revokeUserTokens } from "@/lib/enrollment/accessTokens";
import { notFound } from "@/lib/errors";
import { json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const POST = withAdminApi<{ identifier: string }>(async (_request, caller, ctx) => {
  const identifier = (await ctx.params).identifier;
  if (!(await revokeUserTokens(identifier, `${caller.kind}:${caller.name}`))) throw notFound("user");
  return json({ revoked: true });
});
