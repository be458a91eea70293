// POST {scepUrl}: GetCACaps + GetCACert against an external SCEP CA, so the admin can confirm
// the CA fingerprint before saving (Admin: it makes this server fetch a URL).
import { withAdminApi } from "@/app/_lib/adminApi";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";
import { probeExternalScep } from "@/lib/scep/external/profiles";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withAdminApi(async (request) => {
  const body = (await readJson(request)) as { scepUrl?: unknown } | null;
  return json(await probeExternalScep(body?.scepUrl));
});
