// A device's commands (by UDID, or EnrollmentID for user enrollment): history (Read-only)
// and sending one (Admin); the device is woken by push.
import { withAdminApi } from "@/lib/auth/api";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";
import { commandRequestFromJson } from "@/lib/mdm/apiInput";
import { listCommandsForIdentifier, sendDeviceCommand } from "@/lib/mdm/commands";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi<{ udid: string }>(async (_request, _caller, ctx) => {
  const { udid } = await ctx.params;
  return json({ commands: await listCommandsForIdentifier(udid) });
});

export const POST = withAdminApi<{ udid: string }>(async (request, _caller, ctx) => {
  const { udid } = await ctx.params;
  const { requestType, params } = commandRequestFromJson(await readJson(request));
  const { uuid } = await sendDeviceCommand(udid, requestType, params);
  return json({ uuid, status: "QUEUED" }, 201);
});
