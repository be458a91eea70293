// GET /api/v1/devices/{udid}: one device (by UDID, EnrollmentID or id) with its commands and results.
import { withAdminApi } from "@/app/_lib/adminApi";
import { json } from "@/lib/http/respond";
import { deviceDetailRequest } from "@/lib/inventory/api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi<{ udid: string }>(async (_request, _caller, ctx) => json(await deviceDetailRequest((await ctx.params).udid)));
