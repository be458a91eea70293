// Talking to an external SCEP CA as a client when an admin saves its profile: GetCACaps says it
// speaks SCEP, GetCACert gives the CA (and RA) certificates that we pin. Responses are hostile
// input: bounded in size and time, parsed strictly.
import crypto from "node:crypto";
import * as pkijs from "pkijs";
import { allFromPem, parseDer, toPem } from "../../pki/der";

/** Generous for a CA + RA bundle (NDES sends 3 certificates), small enough to refuse junk. */
const MAX_RESPONSE_BYTES = 256 * 1024;
const TIMEOUT_MS = 10_000;

export class ExternalScepError extends Error {
  constructor(
    /** unreachable | http_status | not_scep | bad_certificates | too_large */
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = "ExternalScepError";
  }
}

/** The SCEP URL as devices will use it: http(s), no query string or fragment, no credentials. */
export function scepUrlProblem(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return "must be http or https";
  if (raw.includes("?") || raw.includes("#")) return "must carry no query string (devices add ?operation=…)";
  if (u.username || u.password) return "must not contain credentials";
  return null;
}

/** The body, read until `max` bytes at most (a hostile server cannot make us buffer more); null when larger. */
export async function readLimited(res: Response, max: number): Promise<Buffer | null> {
  if (Number(res.headers.get("content-length") ?? "0") > max) {
    await res.body?.cancel();
    return null;
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

async function boundedGet(url: string): Promise<{ status: number; contentType: string; body: Buffer }> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "error" });
  } catch (err) {
    throw new ExternalScepError("unreachable", `${new URL(url).origin} is unreachable (${(err as Error).cause ? String((err as { cause: unknown }).cause) : (err as Error).message})`);
  }
  const body = await readLimited(res, MAX_RESPONSE_BYTES);
  if (!body) throw new ExternalScepError("too_large", `answer exceeds ${MAX_RESPONSE_BYTES} bytes`);
  return { status: res.status, contentType: (res.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase(), body };
}

export interface CaBundle {
  /** GetCACaps' capabilities (upper-cased), e.g. ["POSTPKIOPERATION", "SHA-256"]. */
  caps: string[];
  /** Every certificate GetCACert returned, DER. */
  certificates: Uint8Array[];
  /** The top of the chain (self-signed, or the one whose issuer is not in the bundle): what Apple's client hashes. */
  ca: { der: Uint8Array; subject: string; issuer: string; notAfter: Date; sha256: string; sha1: string };
}

/** Certificates of a degenerate certs-only SignedData (RFC 8894 3.2.1.2). */
function certsOnly(der: Uint8Array): Uint8Array[] {
  const info = new pkijs.ContentInfo({ schema: parseDer(der, "GetCACert PKCS#7") });
  if (info.contentType !== pkijs.ContentInfo.SIGNED_DATA) throw new ExternalScepError("bad_certificates", "GetCACert PKCS#7 is not SignedData");
  const sd = new pkijs.SignedData({ schema: info.content });
  return (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate).map((c) => new Uint8Array(c.toSchema().toBER(false)));
}

export function fingerprintHex(der: Uint8Array, alg: "sha1" | "sha256"): string {
  return crypto.createHash(alg).update(der).digest("hex");
}

/** Accepts "AB:CD…", "ab cd …" or plain hex. */
export function normaliseFingerprint(raw: string): string {
  return raw.replace(/[\s:]/g, "").toLowerCase();
}

/** Picks the CA Apple's client pins: the top of the chain built from the bundle. */
export function topCertificate(certs: Uint8Array[]): CaBundle["ca"] {
  const parsed = certs.map((d) => ({ der: d, x: new crypto.X509Certificate(d) }));
  const top =
    parsed.find((p) => p.x.ca && p.x.checkIssued(p.x) && p.x.verify(p.x.publicKey)) ?? parsed.find((p) => p.x.ca && !parsed.some((q) => q !== p && p.x.checkIssued(q.x))) ?? parsed.find((p) => p.x.ca);
  if (!top) throw new ExternalScepError("bad_certificates", "GetCACert returned no CA certificate (basicConstraints cA)");
  return {
    der: top.der,
    subject: top.x.subject.replace(/\n/g, ", "),
    issuer: top.x.issuer.replace(/\n/g, ", "),
    notAfter: new Date(top.x.validTo),
    sha256: fingerprintHex(top.der, "sha256"),
    sha1: fingerprintHex(top.der, "sha1"),
  };
}

/** GetCACaps then GetCACert; throws ExternalScepError with what went wrong. */
export async function fetchCaBundle(scepUrl: string): Promise<CaBundle> {
  const problem = scepUrlProblem(scepUrl);
  if (problem) throw new ExternalScepError("not_scep", `SCEP URL ${problem}`);
  const capsRes = await boundedGet(`${scepUrl}?operation=GetCACaps`);
  if (capsRes.status !== 200) throw new ExternalScepError("http_status", `GetCACaps answered HTTP ${capsRes.status}`);
  const caps = capsRes.body
    .toString("latin1")
    .split(/\r?\n/)
    .map((l) => l.trim().toUpperCase())
    .filter((l) => /^[A-Z0-9-]{1,40}$/.test(l));
  const caRes = await boundedGet(`${scepUrl}?operation=GetCACert`);
  if (caRes.status !== 200) throw new ExternalScepError("http_status", `GetCACert answered HTTP ${caRes.status}`);
  let certificates: Uint8Array[];
  try {
    const der = new Uint8Array(caRes.body);
    if (caRes.contentType === "application/x-x509-ca-ra-cert" || caRes.contentType === "application/pkcs7-mime") certificates = certsOnly(der);
    else if (caRes.contentType === "application/x-x509-ca-cert") certificates = [new Uint8Array(new crypto.X509Certificate(der).raw)];
    else throw new ExternalScepError("not_scep", `GetCACert answered Content-Type "${caRes.contentType || "none"}", not a SCEP certificate type`);
  } catch (err) {
    if (err instanceof ExternalScepError) throw err;
    throw new ExternalScepError("bad_certificates", `GetCACert answer does not parse: ${(err as Error).message}`);
  }
  if (certificates.length === 0) throw new ExternalScepError("bad_certificates", "GetCACert returned no certificates");
  return { caps, certificates, ca: topCertificate(certificates) };
}

export function bundlePem(certs: Uint8Array[]): string {
  return certs.map((d) => toPem(d, "CERTIFICATE")).join("");
}

export function bundleFromPem(pem: string): Uint8Array[] {
  return allFromPem(pem, "CERTIFICATE");
}
