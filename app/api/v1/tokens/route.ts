// OTA enrollment tokens: list with search and sort, without the links for Read-only (and create, Admin).
import { withAdminApi } from "@/app/_lib/adminApi";
import { seesEnrollmentSecrets } from "@/lib/auth/roles";
import { parseTokenQuery } from "@/lib/enrollment/tokenQuery";
import { createEnrollmentTokenFromInput, listEnrollmentTokens } from "@/lib/enrollment/tokens";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async (request, caller) =>
  json({ tokens: await listEnrollmentTokens({ withLinks: seesEnrollmentSecrets(caller.role), query: parseTokenQuery(new URL(request.url).searchParams) }) }),
);

export const POST = withAdminApi(async (request, caller) => {
  const created = await createEnrollmentTokenFromInput(await readJson(request), `${caller.kind}:${caller.name}`);
  return json({ id: created.id, url: created.url, shortUrl: created.shortUrl, jwt: created.jwt, expiresAt: created.expiresAt }, 201);
});
