// One SCEP profile: read (Read-only), change or delete (Admin).
import { withAdminApi } from "@/app/_lib/adminApi";
import { seesEnrollmentSecrets } from "@/lib/auth/roles";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";
import { deleteScepProfile, requireScepProfile, updateScepProfile } from "@/lib/scep/profiles";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Params = { id: string };

export const GET = withAdminApi<Params>(async (_request, caller, ctx) => json(await requireScepProfile((await ctx.params).id, { includeStaticChallenge: seesEnrollmentSecrets(caller.role) })));

export const PATCH = withAdminApi<Params>(async (request, _caller, ctx) => json(await updateScepProfile((await ctx.params).id, await readJson(request))));

export const DELETE = withAdminApi<Params>(async (_request, _caller, ctx) => {
  await deleteScepProfile((await ctx.params).id);
  return new Response(null, { status: 204 });
});
