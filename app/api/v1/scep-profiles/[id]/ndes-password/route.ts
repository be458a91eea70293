// NDES profiles: a new challenge-URL password, shown once (Admin).
import { withAdminApi } from "@/app/_lib/adminApi";
import { json } from "@/lib/http/respond";
import { resetNdesPassword } from "@/lib/scep/profiles";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withAdminApi<{ id: string }>(async (_request, _caller, ctx) => json(await resetNdesPassword((await ctx.params).id)));
