// Enrollment SSO settings (admin API): PUT configures, DELETE turns it off.
import { withAdminApi } from "@/app/_lib/adminApi";
import { configureEsso, disableEsso, getEssoSettings } from "@/lib/enrollment/esso";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = withAdminApi(async () => json((await getEssoSettings()) ?? { enabled: false }));

export const PUT = withAdminApi(async (request) => json(await configureEsso(await readJson(request))));

export const DELETE = withAdminApi(async () => {
  await disableEsso();
  return new Response(null, { status: 204 });
});
