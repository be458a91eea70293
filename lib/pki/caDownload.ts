// The public CA certificate download (devices and admins install it to trust our certificates):
// the root, which is the CA itself unless an imported subordinate brought its chain.
import type { HttpFile } from "../http/respond";
import { getCa } from "./ca";
import { toPem } from "./der";

export async function caCertificateFile(format: "der" | "pem"): Promise<HttpFile> {
  const ca = await getCa();
  const cacheControl = "public, max-age=300";
  if (format === "pem") return { body: toPem(ca.rootDer, "CERTIFICATE"), contentType: "application/x-pem-file", filename: "ca.pem", cacheControl };
  return { body: ca.rootDer, contentType: "application/pkix-cert", filename: "ca.cer", cacheControl };
}
