// ACME accounts (RFC 8555 §7.3): creation by key, onlyReturnExisting, contact updates,
// deactivation and key rollover.
import { calculateJwkThumbprint, type JWK } from "jose";
import { db } from "../db/client";
import type { AcmeAccount } from "../db/generated/sqlite/client";
import { decodeHeader, parseJwsBody, publicJwk, verifyWithKey, JWS_ALGORITHMS, decodePayload, type VerifiedJws } from "./jws";
import { problem } from "./problem";
import { acmeUrl } from "./urls";

export interface AcmeResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function accountObject(a: AcmeAccount): Record<string, unknown> {
  return { status: a.status, contact: a.contact ? (JSON.parse(a.contact) as string[]) : [], orders: acmeUrl.accountOrders(a.id) };
}

function obj(payload: unknown): Record<string, unknown> {
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) throw problem("malformed", "the payload must be a JSON object");
  return payload as Record<string, unknown>;
}

/** mailto: contacts only (RFC 8555 §7.3), at most 4, each a plain address. */
function parseContact(value: unknown): string | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.length > 4) throw problem("invalidContact", "contact must be an array of at most 4 mailto: URLs", "acme_malformed");
  for (const c of value) {
    if (typeof c !== "string" || !c.startsWith("mailto:")) throw problem("unsupportedContact", "only mailto: contacts are supported", "acme_malformed");
    if (!/^mailto:[^\s,?@]{1,64}@[A-Za-z0-9.-]{1,253}$/.test(c)) throw problem("invalidContact", `contact ${JSON.stringify(c.slice(0, 80))} is not one plain email address`, "acme_malformed");
  }
  return JSON.stringify(value);
}

export async function newAccount(req: VerifiedJws): Promise<AcmeResult> {
  const payload = obj(req.payload);
  const existing = await db().acmeAccount.findUnique({ where: { thumbprint: req.thumbprint } });
  if (existing) {
    if (existing.status !== "valid") throw problem("unauthorized", `the account for this key is ${existing.status}`, "acme_account_deactivated");
    // RFC 8555 §7.3.1: the existing account, 200, whatever else the payload says.
    return { status: 200, body: accountObject(existing), headers: { location: acmeUrl.account(existing.id) } };
  }
  if (payload.onlyReturnExisting === true) throw problem("accountDoesNotExist", "no account exists for this key", null);
  if (payload.externalAccountBinding !== undefined) throw problem("malformed", "external account binding is not supported");
  const contact = parseContact(payload.contact);
  try {
    const created = await db().acmeAccount.create({ data: { thumbprint: req.thumbprint, jwk: JSON.stringify(req.jwk), contact } });
    return { status: 201, body: accountObject(created), headers: { location: acmeUrl.account(created.id) } };
  } catch {
    // The same key registered concurrently: answer with that account.
    const again = await db().acmeAccount.findUnique({ where: { thumbprint: req.thumbprint } });
    if (!again) throw problem("serverInternal", "the account could not be created", null);
    return { status: 200, body: accountObject(again), headers: { location: acmeUrl.account(again.id) } };
  }
}

/** POST to the account URL: read (POST-as-GET or {}), update contact, or deactivate. */
export async function updateAccount(req: VerifiedJws, id: string): Promise<AcmeResult> {
  const account = req.account!;
  if (account.id !== id) throw problem("unauthorized", "the request is signed by another account", "acme_bad_url");
  if (req.payload === null) return { status: 200, body: accountObject(account) };
  const payload = obj(req.payload);
  const data: { status?: string; contact?: string | null } = {};
  if (payload.status !== undefined) {
    if (payload.status !== "deactivated") throw problem("malformed", 'an account\'s status can only be set to "deactivated"');
    data.status = "deactivated";
  }
  if (payload.contact !== undefined) data.contact = parseContact(payload.contact);
  const updated = Object.keys(data).length ? await db().acmeAccount.update({ where: { id }, data }) : account;
  if (data.status === "deactivated") {
    // §7.3.6: its pending authorizations go with it.
    await db().acmeAuthorization.updateMany({ where: { accountId: id, status: "pending" }, data: { status: "deactivated" } });
  }
  return { status: 200, body: accountObject(updated) };
}

/** §7.3.5: the outer JWS (old key, kid) carries an inner JWS signed by the new key. */
export async function keyChange(req: VerifiedJws, outerUrl: string): Promise<AcmeResult> {
  const account = req.account!;
  const inner = parseJwsBody(new TextEncoder().encode(JSON.stringify(req.payload ?? null)));
  const header = decodeHeader(inner);
  const alg = header.alg;
  if (typeof alg !== "string" || !(JWS_ALGORITHMS as readonly string[]).includes(alg)) {
    throw problem("badSignatureAlgorithm", "the inner JWS algorithm is not supported", "acme_bad_signature_algorithm", { algorithms: [...JWS_ALGORITHMS] });
  }
  if (header.kid !== undefined || header.nonce !== undefined) throw problem("malformed", 'the inner JWS carries a "jwk" and no "kid" or "nonce"');
  if (header.url !== outerUrl) throw problem("malformed", 'the inner JWS "url" must equal the outer one');
  const newJwk = publicJwk(header.jwk, alg as (typeof JWS_ALGORITHMS)[number]);
  const payload = obj(decodePayload(await verifyWithKey(inner, newJwk, alg as (typeof JWS_ALGORITHMS)[number])));
  if (payload.account !== acmeUrl.account(account.id)) throw problem("malformed", 'the inner payload\'s "account" is not the signing account');
  let oldThumb: string;
  try {
    oldThumb = await calculateJwkThumbprint(
      publicJwk(payload.oldKey, (JSON.parse(account.jwk) as JWK).kty === "RSA" ? "RS256" : (JSON.parse(account.jwk) as JWK).crv === "P-384" ? "ES384" : "ES256"),
      "sha256",
    );
  } catch {
    throw problem("malformed", "the inner payload's \"oldKey\" is not the account's key");
  }
  if (oldThumb !== account.thumbprint) throw problem("malformed", "the inner payload's \"oldKey\" is not the account's current key");
  const newThumb = await calculateJwkThumbprint(newJwk, "sha256");
  const taken = await db().acmeAccount.findUnique({ where: { thumbprint: newThumb } });
  if (taken) throw problem("malformed", "the new key already belongs to an account", null, { status: 409, headers: { location: acmeUrl.account(taken.id) } });
  const updated = await db().acmeAccount.update({ where: { id: account.id }, data: { thumbprint: newThumb, jwk: JSON.stringify(newJwk) } });
  return { status: 200, body: accountObject(updated) };
}
