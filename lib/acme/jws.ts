// The JWS that carries every ACME POST (RFC 8555 §6.2): flattened JSON serialization,
// ES256/ES384/RS256, a "jwk" (new account, revocation by certificate key) or a "kid"
// (every other request), a use-once nonce and the exact request URL.
import crypto from "node:crypto";
import { calculateJwkThumbprint, flattenedVerify, importJWK, type JWK } from "jose";
import { db } from "../db/client";
import type { AcmeAccount } from "../db/generated/sqlite/client";
import { consumeNonce } from "./nonces";
import { problem } from "./problem";
import { accountIdFromKid } from "./urls";

export const JWS_ALGORITHMS = ["ES256", "ES384", "RS256"] as const;
type Alg = (typeof JWS_ALGORITHMS)[number];

export interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
}

export interface VerifiedJws {
  /** The decoded payload; null for POST-as-GET (empty payload). */
  payload: unknown;
  header: Record<string, unknown>;
  /** The account named by "kid". */
  account: AcmeAccount | null;
  /** The public key sent as "jwk" (public members only), and its RFC 7638 thumbprint. */
  jwk: JWK | null;
  thumbprint: string;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** The flattened JWS in a request body, or malformed. */
export function parseJwsBody(bytes: Uint8Array): FlattenedJws {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw problem("malformed", "the request body is not JSON (a flattened JWS, RFC 8555 §6.2)");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw problem("malformed", "the request body is not a flattened JWS object");
  const o = parsed as Record<string, unknown>;
  if ("signatures" in o) throw problem("malformed", "JWS General serialization is not allowed; use the flattened form");
  if ("header" in o) throw problem("malformed", "JWS unprotected header is not allowed");
  for (const k of ["protected", "payload", "signature"] as const) {
    if (typeof o[k] !== "string" || !B64URL.test(o[k] as string)) throw problem("malformed", `JWS "${k}" must be a base64url string`);
  }
  return { protected: o.protected as string, payload: o.payload as string, signature: o.signature as string };
}

export function decodeHeader(jws: FlattenedJws): Record<string, unknown> {
  try {
    const h = JSON.parse(Buffer.from(jws.protected, "base64url").toString("utf8")) as unknown;
    if (h && typeof h === "object" && !Array.isArray(h)) return h as Record<string, unknown>;
  } catch {
    // falls through
  }
  throw problem("malformed", "the JWS protected header is not a JSON object");
}

function checkAlg(header: Record<string, unknown>): Alg {
  const alg = header.alg;
  if (typeof alg !== "string" || !(JWS_ALGORITHMS as readonly string[]).includes(alg)) {
    throw problem("badSignatureAlgorithm", `JWS algorithm ${JSON.stringify(String(alg)).slice(0, 40)} is not supported`, "acme_bad_signature_algorithm", { algorithms: [...JWS_ALGORITHMS] });
  }
  return alg as Alg;
}

/** A client's public JWK: the key type its alg needs, no private members. */
export function publicJwk(value: unknown, alg: Alg): JWK {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw problem("malformed", 'JWS "jwk" must be a JSON object');
  const jwk = value as Record<string, unknown>;
  if ("d" in jwk || "p" in jwk || "k" in jwk) throw problem("badPublicKey", "the JWK holds private key material", "acme_bad_public_key");
  const want = alg === "RS256" ? { kty: "RSA" } : { kty: "EC", crv: alg === "ES256" ? "P-256" : "P-384" };
  if (jwk.kty !== want.kty || ("crv" in want && jwk.crv !== want.crv)) {
    throw problem("badPublicKey", `a ${alg} signature needs a ${want.kty}${"crv" in want ? ` ${want.crv}` : ""} key`, "acme_bad_public_key");
  }
  const members = want.kty === "RSA" ? ["kty", "n", "e"] : ["kty", "crv", "x", "y"];
  const out: Record<string, string> = {};
  for (const m of members) {
    if (typeof jwk[m] !== "string" || !B64URL.test(jwk[m] as string) || (jwk[m] as string).length > 1400)
      throw problem("badPublicKey", `the JWK's "${m}" is missing or invalid`, "acme_bad_public_key");
    out[m] = jwk[m] as string;
  }
  return out as JWK;
}

async function importKey(jwk: JWK, alg: Alg): Promise<CryptoKey> {
  try {
    const key = await importJWK(jwk, alg);
    if (!(key instanceof CryptoKey)) throw new Error("not a key");
    if (alg === "RS256") {
      const bits = crypto.KeyObject.from(key).asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < 2048 || bits > 8192) throw problem("badPublicKey", `RSA account keys must have 2048 to 8192 bits, not ${bits}`, "acme_bad_public_key");
    }
    return key;
  } catch (err) {
    if (err instanceof Error && err.name === "AcmeProblem") throw err;
    throw problem("badPublicKey", "the JWK is not a valid public key", "acme_bad_public_key");
  }
}

/** Verifies the signature of `jws` with `jwk`; returns the payload bytes. */
export async function verifyWithKey(jws: FlattenedJws, jwk: JWK, alg: Alg): Promise<Uint8Array> {
  const key = await importKey(jwk, alg);
  try {
    const { payload } = await flattenedVerify(jws, key, { algorithms: [alg] });
    return payload;
  } catch {
    throw problem("malformed", "the JWS signature does not verify", "acme_bad_signature");
  }
}

export function decodePayload(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) return null;
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as unknown;
  } catch {
    throw problem("malformed", "the JWS payload is not JSON");
  }
}

/**
 * Checks one request's JWS: algorithm, key (jwk or kid as `keyFrom` allows), signature, URL,
 * then spends its nonce. Throws AcmeProblem.
 */
export async function verifyRequest(body: Uint8Array, requestUrl: string, keyFrom: "jwk" | "kid" | "either"): Promise<VerifiedJws> {
  const jws = parseJwsBody(body);
  const header = decodeHeader(jws);
  const alg = checkAlg(header);
  if ("crit" in header || "b64" in header) throw problem("malformed", 'JWS "crit" and "b64" are not supported');
  const hasJwk = header.jwk !== undefined;
  const hasKid = header.kid !== undefined;
  if (hasJwk === hasKid) throw problem("malformed", 'the JWS protected header must carry exactly one of "jwk" and "kid"');
  if (keyFrom === "jwk" && !hasJwk) throw problem("malformed", 'this request must be signed with a "jwk" (the account key), not a "kid"');
  if (keyFrom === "kid" && !hasKid) throw problem("malformed", 'this request must be signed with the account URL as "kid"');
  let account: AcmeAccount | null = null;
  let jwk: JWK;
  if (hasKid) {
    const id = typeof header.kid === "string" ? accountIdFromKid(header.kid) : null;
    account = id ? await db().acmeAccount.findUnique({ where: { id } }) : null;
    if (!account) throw problem("accountDoesNotExist", 'the "kid" names no account on this server', "acme_account_unknown");
    jwk = JSON.parse(account.jwk) as JWK;
    const fits = alg === "RS256" ? jwk.kty === "RSA" : jwk.kty === "EC" && jwk.crv === (alg === "ES256" ? "P-256" : "P-384");
    // Another algorithm than the account key's: it cannot be the account key's signature.
    if (!fits) throw problem("malformed", "the JWS signature does not verify with the account key", "acme_bad_signature");
  } else {
    jwk = publicJwk(header.jwk, alg);
  }
  const payloadBytes = await verifyWithKey(jws, jwk, alg);
  if (header.url !== requestUrl) throw problem("unauthorized", `the JWS "url" does not match the request URL ${requestUrl}`, "acme_bad_url");
  if (!(await consumeNonce(header.nonce))) throw problem("badNonce", "the JWS nonce is missing, expired or already used: retry with the fresh Replay-Nonce", "acme_bad_nonce");
  if (account && account.status !== "valid") throw problem("unauthorized", `the account is ${account.status}`, "acme_account_deactivated");
  return { payload: decodePayload(payloadBytes), header, account, jwk: hasJwk ? jwk : null, thumbprint: await calculateJwkThumbprint(jwk, "sha256") };
}
