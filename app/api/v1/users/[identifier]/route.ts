// An account-driven enrollment user: Managed Apple Account mapping, local password.
import { withAdminApi } from "@/app/_lib/adminApi";
import { getUser, putUser } from "@/lib/enrollment/users";
import { notFound } from "@/lib/errors";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

type P = { identifier: string };

export const GET = withAdminApi<P>(async (_request, _caller, ctx) => {
  const user = await getUser((await ctx.params).identifier);
  if (!user) throw notFound("user");
  return json(user);
});

export const PUT = withAdminApi<P>(async (request, _caller, ctx) => {
  const r = await putUser((await ctx.params).identifier, await readJson(request));
  return json(r.user, r.created ? 201 : 200);
});
