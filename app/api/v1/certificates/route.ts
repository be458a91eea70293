// Issued-certificate inventory (Read-only): ?deviceId, profileId, revoked, expiringBefore, q, take, skip.
import { withAdminApi } from "@/app/_lib/adminApi";
import { json } from "@/lib/http/respond";
import { certificateFilterFromQuery, listCertificates } from "@/lib/pki/certificates";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async (request) => json(await listCertificates(certificateFilterFromQuery(new URL(request.url).searchParams))));
