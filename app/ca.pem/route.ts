// Public CA certificate as PEM.
import { caCertificateFile } from "@/lib/pki/caDownload";
import { fileResponse, handle } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = handle(async () => fileResponse(await caCertificateFile("pem")));
