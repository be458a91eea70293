// The ACME server's one entry point: every /acme/… request is routed here by a thin App
// Router handler, which hands over what it read of the Request (AcmeHttpRequest) and sends
// the AcmeAnswer. Answers carry a fresh Replay-Nonce, the directory link and no-store;
// refusals are problem documents (RFC 7807) and an enrollment-log line with the fix.
import { config } from "../config";
import { AppError } from "../errors";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { log } from "../log/logger";
import { keyChange, newAccount, updateAccount, type AcmeResult } from "./accounts";
import { respondChallenge, STEP } from "./challenges";
import { downloadCertificate, revokeByAcme } from "./certificates";
import { finalizeOrder } from "./finalize";
import { verifyRequest, type VerifiedJws } from "./jws";
import { newNonce } from "./nonces";
import { authzRequest, getOrder, listOrders, newOrder } from "./orders";
import { AcmeProblem, problem } from "./problem";
import { acmeBase, acmeUrl } from "./urls";

/** A JWS request body: a CSR or an attestation (a few kilobytes) fits many times over. */
export const ACME_BODY_LIMIT = 128 * 1024;

export function directory(): Record<string, unknown> {
  return {
    newNonce: acmeUrl.newNonce(),
    newAccount: acmeUrl.newAccount(),
    newOrder: acmeUrl.newOrder(),
    revokeCert: acmeUrl.revokeCert(),
    keyChange: acmeUrl.keyChange(),
    meta: { website: config().publicUrl, externalAccountRequired: false },
  };
}

/** What the route read of the request; the body is read only once the request got that far. */
export interface AcmeHttpRequest {
  method: string;
  path: string[];
  contentType: string | null;
  remoteAddr: string | null;
  /** The body, at most ACME_BODY_LIMIT bytes; throws an AppError (413, 400) otherwise. */
  body: () => Promise<Uint8Array>;
}

/** An HTTP answer, sent as it is by the route. */
export interface AcmeAnswer {
  status: number;
  headers: Record<string, string>;
  body: string | null;
}

async function baseHeaders(): Promise<Record<string, string>> {
  return { "replay-nonce": await newNonce(), link: `<${acmeUrl.directory()}>;rel="index"`, "cache-control": "no-store" };
}

async function problemAnswer(p: AcmeProblem): Promise<AcmeAnswer> {
  return { body: JSON.stringify(p.document()), status: p.status, headers: { ...(await baseHeaders()), "content-type": "application/problem+json", ...(p.extra.headers ?? {}) } };
}

async function jsonAnswer(r: AcmeResult): Promise<AcmeAnswer> {
  const headers = { ...(await baseHeaders()), ...(r.headers ?? {}) };
  if (r.body === null) return { body: null, status: r.status, headers };
  return { body: JSON.stringify(r.body), status: r.status, headers: { ...headers, "content-type": "application/json" } };
}

/** A route's answer that is not a JSON document (the certificate chain). */
type RawAnswer = { raw: AcmeAnswer };

type PostRoute = { keyFrom: "jwk" | "kid" | "either"; run: (req: VerifiedJws, url: string, remoteAddr: string | null) => Promise<AcmeResult | RawAnswer> };

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function postRoute(path: string[]): PostRoute | null {
  const [first, id, sub] = path;
  if (path.length === 1) {
    if (first === "new-account") return { keyFrom: "jwk", run: (r) => newAccount(r) };
    if (first === "new-order") return { keyFrom: "kid", run: (r) => newOrder(r) };
    if (first === "key-change") return { keyFrom: "kid", run: (r, url) => keyChange(r, url) };
    if (first === "revoke-cert") return { keyFrom: "either", run: (r, _u, addr) => revokeByAcme(r, addr) };
    return null;
  }
  if (!ID.test(id ?? "")) return null;
  if (path.length === 2) {
    if (first === "acct") return { keyFrom: "kid", run: (r) => updateAccount(r, id) };
    if (first === "order") return { keyFrom: "kid", run: (r) => getOrder(r, id) };
    if (first === "authz") return { keyFrom: "kid", run: (r) => authzRequest(r, id) };
    if (first === "chall") return { keyFrom: "kid", run: (r, _u, addr) => respondChallenge(r, id, addr) };
    if (first === "cert") {
      return {
        keyFrom: "kid",
        run: async (r) => {
          if (r.payload !== null) throw problem("malformed", "certificates are fetched with POST-as-GET (empty payload)");
          const { pem } = await downloadCertificate(r, id);
          return { raw: { body: pem, status: 200, headers: { ...(await baseHeaders()), "content-type": "application/pem-certificate-chain" } } };
        },
      };
    }
    return null;
  }
  if (path.length === 3 && first === "acct" && sub === "orders") return { keyFrom: "kid", run: (r) => listOrders(r, id) };
  if (path.length === 3 && first === "order" && sub === "finalize") return { keyFrom: "kid", run: (r, _u, addr) => finalizeOrder(r, id, addr) };
  return null;
}

/** Handles GET/HEAD/POST for /acme/<path…>. Never throws. */
export async function handleAcme(request: AcmeHttpRequest): Promise<AcmeAnswer> {
  const { path, remoteAddr } = request;
  const method = request.method.toUpperCase();
  const endpoint = path.join("/").slice(0, 120);
  try {
    if (path.length === 1 && path[0] === "directory" && (method === "GET" || method === "HEAD")) {
      return { body: method === "HEAD" ? null : JSON.stringify(directory()), status: 200, headers: { "content-type": "application/json", "cache-control": "public, max-age=0, no-cache" } };
    }
    if (path.length === 1 && path[0] === "new-nonce" && (method === "GET" || method === "HEAD")) {
      // §7.2: 200 for HEAD, 204 for GET.
      return { body: null, status: method === "HEAD" ? 200 : 204, headers: await baseHeaders() };
    }
    const route = postRoute(path);
    if (!route) throw problem("malformed", `no ACME resource at ${acmeBase()}/${endpoint}`, null, { status: 404 });
    if (method !== "POST") throw problem("malformed", "ACME resources are fetched with POST-as-GET (RFC 8555 §6.3)", null, { status: 405, headers: { allow: "POST" } });
    const type = request.contentType?.split(";")[0].trim().toLowerCase();
    if (type !== "application/jose+json") throw problem("malformed", "requests must have Content-Type application/jose+json", "acme_malformed", { status: 415 });
    let body: Uint8Array;
    try {
      body = await request.body();
    } catch (err) {
      if (err instanceof AppError) throw problem("malformed", err.message, "acme_malformed", { status: err.status });
      throw err;
    }
    const url = `${acmeBase()}/${path.join("/")}`;
    const verified = await verifyRequest(body, url, route.keyFrom);
    const result = await route.run(verified, url, remoteAddr);
    return "raw" in result ? result.raw : await jsonAnswer(result);
  } catch (err) {
    if (err instanceof AcmeProblem) {
      const device = err.extra.identifier?.type === "permanent-identifier" ? err.extra.identifier.value : null;
      if (err.reason) await writeEnrollmentLog({ step: STEP, outcome: "ERROR", reason: err.reason, message: `ACME ${endpoint}: ${err.type}: ${err.detail}`, deviceIdentifier: device, remoteAddr });
      return problemAnswer(err);
    }
    log.error("ACME request failed", { err, endpoint });
    return problemAnswer(problem("serverInternal", "internal error", null));
  }
}
