// One account-driven routing rule (admin API).
import { withAdminApi } from "@/app/_lib/adminApi";
import { deleteRoute, getRoute, updateRoute } from "@/lib/enrollment/routes";
import { notFound } from "@/lib/errors";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = withAdminApi<{ id: string }>(async (_request, _caller, ctx) => json(await getRoute((await ctx.params).id)));

export const PATCH = withAdminApi<{ id: string }>(async (request, _caller, ctx) => json(await updateRoute((await ctx.params).id, await readJson(request))));

export const DELETE = withAdminApi<{ id: string }>(async (_request, _caller, ctx) => {
  if (!(await deleteRoute((await ctx.params).id))) throw notFound("routing rule");
  return new Response(null, { status: 204 });
});
