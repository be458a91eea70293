// One device group: details with its ordered policies (Read-only), rename/describe and
// delete (Admin). Deleting a group keeps its devices, without a group.
import { withAdminApi } from "@/app/_lib/adminApi";
import { notFound } from "@/lib/errors";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";
import { groupUpdateFromJson } from "@/lib/mdm/apiInput";
import { deleteGroup, getGroup, updateGroup } from "@/lib/mdm/groups";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type P = { id: string };

export const GET = withAdminApi<P>(async (_request, _caller, ctx) => {
  const group = await getGroup((await ctx.params).id);
  if (!group) throw notFound("group");
  return json(group);
});

export const PATCH = withAdminApi<P>(async (request, _caller, ctx) => json(await updateGroup((await ctx.params).id, groupUpdateFromJson(await readJson(request)))));

export const DELETE = withAdminApi<P>(async (_request, _caller, ctx) => {
  await deleteGroup((await ctx.params).id);
  return new Response(null, { status: 204 });
});
