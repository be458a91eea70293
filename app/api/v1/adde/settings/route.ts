// Account-driven enrollment settings: authentication method, OAuth client id, SCEP profile.
import { withAdminApi } from "@/app/_lib/adminApi";
import { getAddeSettings, updateAddeSettings } from "@/lib/enrollment/addeSettings";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = withAdminApi(async () => json(await getAddeSettings()));

export const PUT = withAdminApi(async (request) => json(await updateAddeSettings(await readJson(request))));
