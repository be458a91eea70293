// The CA's certificate revocation list (DER, application/pkix-crl), named in issued certificates' CRL Distribution Points.
import { crlFile } from "@/lib/pki/crl";
import { fileResponse, handle } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = handle(async () => fileResponse(await crlFile()));
