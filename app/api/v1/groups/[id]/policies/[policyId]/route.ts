// Removing a policy from a group; a profile is removed from the members' devices.
import { withAdminApi } from "@/app/_lib/adminApi";
import { removePolicy } from "@/lib/mdm/policies";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const DELETE = withAdminApi<{ id: string; policyId: string }>(async (_request, _caller, ctx) => {
  const { id, policyId } = await ctx.params;
  await removePolicy(policyId, id);
  return new Response(null, { status: 204 });
});
