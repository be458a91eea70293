// A device action (lock, erase, restart, clear-passcode, …; Admin). Offered only where
// Apple's schemas allow it for the device (lib/mdm/deviceActions.ts).
import { withAdminApi } from "@/app/_lib/adminApi";
import { json } from "@/lib/http/respond";
import { LIMITS, readBody } from "@/lib/http/body";
import { actionInputFromBody } from "@/lib/mdm/apiInput";
import { notFound } from "@/lib/errors";
import { isDeviceAction, performDeviceAction } from "@/lib/mdm/deviceActions";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withAdminApi<{ udid: string; action: string }>(async (request, caller, ctx) => {
  const { udid, action } = await ctx.params;
  if (!isDeviceAction(action)) throw notFound("action");
  const input = actionInputFromBody(await readBody(request, LIMITS.json));
  const { uuid, requestType } = await performDeviceAction(udid, action, input, `${caller.kind}:${caller.name}`);
  return json({ uuid, requestType, status: "QUEUED" }, 201);
});
