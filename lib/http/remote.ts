// Who is calling: the peer address (from the proxy header only when TRUST_PROXY=true)
// and the client certificate a TLS-terminating proxy forwarded.
import { config } from "../config";

export function remoteAddress(request: Request): string | null {
  return remoteAddressFromHeaders(request.headers);
}

/** The same from bare headers (next-auth's authorize() gets no Request). */
export function remoteAddressFromHeaders(headers: Headers): string | null {
  if (config().trustProxy) {
    const fwd = headers.get("x-forwarded-for");
    if (fwd) return fwd.split(",")[0].trim();
    const real = headers.get("x-real-ip");
    if (real) return real.trim();
  }
  // scripts/serve.mjs overwrites this with the socket's address on every request.
  return headers.get("x-enroll-peer") || null;
}

/** PEM or URL-encoded PEM of the client certificate from CLIENT_CERT_HEADER, if configured. */
export function forwardedClientCert(request: Request): string | null {
  const header = config().clientCertHeader;
  if (!header) return null;
  const raw = request.headers.get(header);
  if (!raw) return null;
  return raw.includes("%") ? decodeURIComponent(raw) : raw;
}
