// Account-driven routing rules (admin API).
import { withAdminApi } from "@/app/_lib/adminApi";
import { createRoute, listRoutes } from "@/lib/enrollment/routes";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = withAdminApi(async () => json({ routes: await listRoutes() }));

export const POST = withAdminApi(async (request) => json(await createRoute(await readJson(request)), 201));
