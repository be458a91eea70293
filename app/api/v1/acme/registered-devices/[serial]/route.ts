// Removes a pre-registered serial number (Admin).
import { removeRegisteredDevice } from "@/lib/acme/admin";
import { withAdminApi } from "@/app/_lib/adminApi";
import { json } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const DELETE = withAdminApi<{ serial: string }>(async (_request, _caller, ctx) => {
  await removeRegisteredDevice((await ctx.params).serial);
  return json({ removed: true });
});
