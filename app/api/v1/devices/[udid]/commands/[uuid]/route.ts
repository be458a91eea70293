// One command of a device: its status and the device's full answer (GET, Read-only), or
// cancelling it while it has not been delivered (DELETE, Admin).
import { withAdminApi } from "@/app/_lib/adminApi";
import { json } from "@/lib/http/respond";
import { cancelDeviceCommand, getDeviceCommand } from "@/lib/mdm/commands";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi<{ udid: string; uuid: string }>(async (_request, _caller, ctx) => {
  const { udid, uuid } = await ctx.params;
  return json({ command: await getDeviceCommand(udid, uuid) });
});

export const DELETE = withAdminApi<{ udid: string; uuid: string }>(async (_request, _caller, ctx) => {
  const { udid, uuid } = await ctx.params;
  await cancelDeviceCommand(udid, uuid);
  return json({ uuid, status: "CANCELLED" });
});
