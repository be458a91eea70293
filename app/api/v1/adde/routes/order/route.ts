// The evaluation order of the account-driven routing rules (admin API).
import { withAdminApi } from "@/app/_lib/adminApi";
import { reorderRoutes } from "@/lib/enrollment/routes";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const PUT = withAdminApi(async (request) => json({ routes: await reorderRoutes(await readJson(request)) }));
