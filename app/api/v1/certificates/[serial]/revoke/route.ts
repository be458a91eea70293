// Revoke an issued certificate (Admin). Body (optional): { "reason": "..." }.
import { withAdminApi } from "@/app/_lib/adminApi";
import { LIMITS, readBody } from "@/lib/http/body";
import { json } from "@/lib/http/respond";
import { revokeRequest } from "@/lib/pki/revocation";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withAdminApi<{ serial: string }>(async (request, _caller, ctx) => json({ certificate: await revokeRequest((await ctx.params).serial, await readBody(request, LIMITS.json)) }));
