// A group's policies: add a profile (JSON base64, multipart upload or raw .mobileconfig)
// or a command, queued for the group's enrolled devices; or set their order.
import { withAdminApi } from "@/lib/auth/api";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";
import { policyOrderFromJson, readPolicyInput } from "@/lib/mdm/apiInput";
import { addPolicy, reorderPolicies } from "@/lib/mdm/policies";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withAdminApi<{ id: string }>(async (request, _caller, ctx) => {
  const { id } = await ctx.params;
  return json(await addPolicy(id, await readPolicyInput(request)), 201);
});

export const PUT = withAdminApi<{ id: string }>(async (request, _caller, ctx) => {
  const { id } = await ctx.params;
  return json({ policies: await reorderPolicies(id, policyOrderFromJson(await readJson(request))) });
});
