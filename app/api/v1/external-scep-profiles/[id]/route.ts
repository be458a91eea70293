// One external SCEP profile: read (Read-only), edit or delete (Admin). Secrets are never returned.
import { withAdminApi } from "@/app/_lib/adminApi";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";
import { deleteExternalScepProfile, requireExternalScepProfile, updateExternalScepProfile } from "@/lib/scep/external/profiles";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Params = { id: string };

export const GET = withAdminApi<Params>(async (_request, _caller, ctx) => json(await requireExternalScepProfile((await ctx.params).id)));

export const PATCH = withAdminApi<Params>(async (request, _caller, ctx) => json(await updateExternalScepProfile((await ctx.params).id, await readJson(request))));

export const DELETE = withAdminApi<Params>(async (_request, _caller, ctx) => {
  await deleteExternalScepProfile((await ctx.params).id);
  return new Response(null, { status: 204 });
});
