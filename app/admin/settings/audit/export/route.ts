// CSV export of the audit log with the viewer's filters (session or API key, Read-only role).
import { withAdminApi } from "@/app/_lib/adminApi";
import { exportAuditCsv, parseAuditFilter } from "@/lib/auth/auditLog";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async (request) => {
  const body = await exportAuditCsv(parseAuditFilter(new URL(request.url).searchParams));
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return new Response(body, {
    headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="audit-log-${stamp}.csv"`, "cache-control": "no-store" },
  });
});
