// One account-driven routing rule (admin API).
import { withAdminApi } from "@/lib/auth/api";
import { deleteRoute } from "@/lib/enrollment/routes";
import { notFound } from "@/lib/errors";

export const dynamic = "force-dynamic";

export const DELETE = withAdminApi<{ id: string }>(async (_request, _caller, ctx) => {
  if (!(await deleteRoute((await ctx.params).id))) throw notFound("routing rule");
  return new Response(null, { status: 204 });
});
