// CSV export for the Enrollment Log page: the same filters, the session's Read-only role.
// (The API serves the same at /api/v1/log with Accept: text/csv.)
import { withAdminApi } from "@/app/_lib/adminApi";
import { readLogRequest } from "@/lib/log/api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async (request) => {
  const result = await readLogRequest(new URL(request.url).searchParams, "text/csv");
  if (result.kind !== "csv") throw new Error("unreachable");
  return new Response(result.body, {
    headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${result.filename}"`, "cache-control": "no-store" },
  });
});
