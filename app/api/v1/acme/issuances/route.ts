// Certificates issued through device-attest-01 with what Apple attested; ?deviceId= for one device.
import { attestedIssuances } from "@/lib/acme/admin";
import { withAdminApi } from "@/app/_lib/adminApi";
import { json } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async (request) => {
  const p = new URL(request.url).searchParams;
  const take = p.get("take") && /^\d{1,3}$/.test(p.get("take")!) ? Number(p.get("take")) : undefined;
  return json({ issuances: await attestedIssuances({ take, deviceId: p.get("deviceId")?.slice(0, 64) || undefined }) });
});
