import { withAdminApi } from "@/app/_lib/adminApi";
import { revokeEnrollmentToken } from "@/lib/enrollment/tokens";
import { json } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withAdminApi<{ id: string }>(async (_request, _caller, { params }) => json(await revokeEnrollmentToken((await params).id)));
