// A device's commands (by UDID, or EnrollmentID for user enrollment): history a page at a
// time (Read-only; results via commands/{uuid}) and sending one (Admin: the policy
// command types; Owner: any command Apple's schema knows). The device is woken by push.
import { withAdminApi } from "@/app/_lib/adminApi";
import { hasRole } from "@/lib/auth/roles";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";
import { commandRequestFromJson } from "@/lib/mdm/apiInput";
import { listCommandsForIdentifier, sendDeviceCommand } from "@/lib/mdm/commands";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi<{ udid: string }>(async (request, _caller, ctx) => {
  const { udid } = await ctx.params;
  const url = new URL(request.url);
  const limit = Number(url.searchParams.get("limit") ?? "100");
  return json(await listCommandsForIdentifier(udid, limit, url.searchParams.get("cursor")));
});

export const POST = withAdminApi<{ udid: string }>(async (request, caller, ctx) => {
  const { udid } = await ctx.params;
  const { requestType, params } = commandRequestFromJson(await readJson(request));
  const { uuid } = await sendDeviceCommand(udid, requestType, params, { anyType: hasRole(caller.role, "OWNER") });
  return json({ uuid, status: "QUEUED" }, 201);
});
