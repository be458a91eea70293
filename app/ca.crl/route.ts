// The CA's certificate revocation list (DER, application/pkix-crl), named in issued certificates' CRL Distribution Points.
import { crlResponse } from "@/lib/pki/crl";
import { handle } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = handle(async () => crlResponse());
