// One OTA enrollment token: read (Read-only), edit name/group/expiry and delete (Admin).
import { withAdminApi } from "@/app/_lib/adminApi";
import { seesEnrollmentSecrets } from "@/lib/auth/roles";
import { deleteEnrollmentToken, getEnrollmentToken, updateEnrollmentToken } from "@/lib/enrollment/tokens";
import { notFound } from "@/lib/errors";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi<{ id: string }>(async (_request, caller, ctx) => {
  const token = await getEnrollmentToken((await ctx.params).id, { withLinks: seesEnrollmentSecrets(caller.role) });
  if (!token) throw notFound("enrollment token");
  return json(token);
});

export const PATCH = withAdminApi<{ id: string }>(async (request, _caller, ctx) => json(await updateEnrollmentToken((await ctx.params).id, await readJson(request))));

export const DELETE = withAdminApi<{ id: string }>(async (_request, _caller, ctx) => json(await deleteEnrollmentToken((await ctx.params).id)));
