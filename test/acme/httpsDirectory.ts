// Our ACME directory over HTTPS for the standard clients (lego, certbot): a throwaway TLS
// certificate for localhost from OpenSSL (not from our CA: the CA under test issues only
// through ACME here), and our CA's certificate written out for the client to trust.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { getCa } from "@/lib/pki/ca";
import { toPem } from "@/lib/pki/der";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";

export interface HttpsDirectory {
  server: RouteServer;
  /** Temporary folder with tls.key, tls.crt and ca.pem (our CA). */
  dir: string;
}

export async function serveAcmeOverHttps(port: number, name: string): Promise<HttpsDirectory> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `acme-${name}-`));
  const key = path.join(dir, "tls.key");
  const crt = path.join(dir, "tls.crt");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      key,
      "-out",
      crt,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  const server = await serveRouteImports({ "/acme/[...path]": import("@/app/acme/[...path]/route") }, { port, tls: { key: fs.readFileSync(key, "utf8"), cert: fs.readFileSync(crt, "utf8") } });
  fs.writeFileSync(path.join(dir, "ca.pem"), toPem((await getCa()).certDer, "CERTIFICATE"));
  return { server, dir };
}
