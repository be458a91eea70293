// Public CA certificate as PEM.
import { caCertificateResponse } from "@/lib/pki/caDownload";
import { handle } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = handle(async () => caCertificateResponse("pem"));
