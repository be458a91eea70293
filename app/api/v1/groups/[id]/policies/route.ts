// A group's policies: add a profile (JSON base64, multipart upload or raw .mobileconfig)
// or a command; it is queued for the group's enrolled devices.
import { withAdminApi } from "@/lib/auth/api";
import { json } from "@/lib/http/respond";
import { readPolicyInput } from "@/lib/mdm/apiInput";
import { addPolicy } from "@/lib/mdm/policies";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withAdminApi<{ id: string }>(async (request, _caller, ctx) => {
  const { id } = await ctx.params;
  return json(await addPolicy(id, await readPolicyInput(request)), 201);
});
