import { withAdminApi } from "@/app/_lib/adminApi";
import { parseQrLink, tokenQr } from "@/lib/enrollment/qr";
import { fileResponse } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi<{ id: string }>(
  async (request, _caller, { params }) => fileResponse(await tokenQr((await params).id, "png", parseQrLink(new URL(request.url).searchParams.get("link")))),
  // A QR code is the enrollment link: Admins and Owners only (seesEnrollmentSecrets).
  { role: "ADMIN" },
);
