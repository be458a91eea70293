// OTA enrollment tokens: list (Read-only, without the links) and create (Admin).
import { withAdminApi } from "@/lib/auth/api";
import { seesEnrollmentSecrets } from "@/lib/auth/roles";
import { createEnrollmentTokenFromInput, listEnrollmentTokens } from "@/lib/enrollment/tokens";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async (_request, caller) => json({ tokens: await listEnrollmentTokens({ withLinks: seesEnrollmentSecrets(caller.role) }) }));

export const POST = withAdminApi(async (request, caller) => {
  const created = await createEnrollmentTokenFromInput(await readJson(request), `${caller.kind}:${caller.name}`);
  return json({ id: created.id, url: created.url, shortUrl: created.shortUrl, jwt: created.jwt, expiresAt: created.expiresAt }, 201);
});
