// A group's policies: add a profile (JSON base64, multipart upload or raw .mobileconfig)
// or a command, queued for the group's enrolled devices; or set their order.
import { withAdminApi } from "@/app/_lib/adminApi";
import { LIMITS, readBody, readJson } from "@/lib/http/body";
import { readMultipart } from "@/lib/http/form";
import { json } from "@/lib/http/respond";
import { policyInputFromForm, policyInputFromJson, policyOrderFromJson } from "@/lib/mdm/apiInput";
import { addPolicy, reorderPolicies, type PolicyInput } from "@/lib/mdm/policies";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** JSON, a multipart form with a `mobileconfig` file, or the raw .mobileconfig (application/x-apple-aspen-config). */
async function readPolicyInput(request: Request): Promise<PolicyInput> {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) return policyInputFromForm(await readMultipart(request, LIMITS.profileUpload));
  if (type.startsWith("application/x-apple-aspen-config")) return { kind: "PROFILE", mobileconfig: await readBody(request, LIMITS.profileUpload) };
  return policyInputFromJson(await readJson(request, LIMITS.profileUpload * 2));
}

export const POST = withAdminApi<{ id: string }>(async (request, _caller, ctx) => {
  const { id } = await ctx.params;
  return json(await addPolicy(id, await readPolicyInput(request)), 201);
});

export const PUT = withAdminApi<{ id: string }>(async (request, _caller, ctx) => {
  const { id } = await ctx.params;
  return json({ policies: await reorderPolicies(id, policyOrderFromJson(await readJson(request))) });
});
