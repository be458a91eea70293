// GET /api/v1/devices: filter by status, group, platform, type, q; sort; keyset pages.
import { withAdminApi } from "@/app/_lib/adminApi";
import { json } from "@/lib/http/respond";
import { listDevicesRequest } from "@/lib/inventory/api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async (request) => json(await listDevicesRequest(new URL(request.url).searchParams)));
