// ACME settings: the directory URL devices and clients use, and the DNS domains http-01 may issue for.
import { acmeSettings } from "@/lib/acme/admin";
import { setAllowedDnsDomains } from "@/lib/acme/policy";
import { withAdminApi } from "@/app/_lib/adminApi";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async () => json(await acmeSettings()));

export const PUT = withAdminApi(async (request) => {
  const body = (await readJson(request)) as { dnsDomains?: unknown } | null;
  await setAllowedDnsDomains(body && typeof body === "object" ? body.dnsDomains : undefined);
  return json(await acmeSettings());
});
