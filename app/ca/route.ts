// Public CA certificate: DER (application/pkix-cert), or PEM with ?format=pem.
import { caCertificateFile } from "@/lib/pki/caDownload";
import { fileResponse, handle } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = handle(async (request: Request) => fileResponse(await caCertificateFile(new URL(request.url).searchParams.get("format") === "pem" ? "pem" : "der")));
