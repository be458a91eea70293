// The public CA certificate download (devices and admins install it to trust our certificates):
// the root, which is the CA itself unless an imported subordinate brought its chain.
import { getCa } from "./ca";
import { toPem } from "./der";

export async function caCertificateResponse(format: "der" | "pem"): Promise<Response> {
  const ca = await getCa();
  const headers = { "cache-control": "public, max-age=300" };
  if (format === "pem") {
    return new Response(toPem(ca.rootDer, "CERTIFICATE"), { status: 200, headers: { ...headers, "content-type": "application/x-pem-file", "content-disposition": 'attachment; filename="ca.pem"' } });
  }
  return new Response(Buffer.from(ca.rootDer), { status: 200, headers: { ...headers, "content-type": "application/pkix-cert", "content-disposition": 'attachment; filename="ca.cer"' } });
}
