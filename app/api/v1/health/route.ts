import { withAdminApi } from "@/app/_lib/adminApi";
import { health } from "@/lib/health";
import { json } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async (_req, caller) => {
  const h = await health();
  return json({ ...h, caller: { kind: caller.kind, name: caller.name, role: caller.role } }, h.ok ? 200 : 503);
});
