// GET /api/v1/log: the enrollment log with the portal's filters. JSON pages by default;
// CSV (the whole filtered log, up to the export limit) with Accept: text/csv or ?format=csv.
import { withAdminApi } from "@/app/_lib/adminApi";
import { json } from "@/lib/http/respond";
import { readLogRequest } from "@/lib/log/api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async (request) => {
  const result = await readLogRequest(new URL(request.url).searchParams, request.headers.get("accept"));
  if (result.kind === "csv") {
    return new Response(result.body, {
      headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${result.filename}"`, "cache-control": "no-store" },
    });
  }
  return json(result.body);
});
