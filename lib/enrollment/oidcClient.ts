// A minimal OpenID Connect relying party for end-user sign-in (account-driven enrollment):
// authorization-code grant with PKCE S256 and a nonce, the code exchanged with the client
// secret, and the id_token verified with jose against the IdP's published keys.
import crypto from "node:crypto";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import type { OidcConfig } from "../config";

export class OidcError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OidcError";
  }
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

const discoveryCache = new Map<string, { doc: Discovery; jwks: ReturnType<typeof createRemoteJWKSet>; at: number }>();
const DISCOVERY_TTL_MS = 3600_000;
const FETCH_TIMEOUT_MS = 10_000;

async function discover(cfg: OidcConfig) {
  const hit = discoveryCache.get(cfg.issuer);
  if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit;
  let res: Response;
  try {
    res = await fetch(`${cfg.issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (err) {
    throw new OidcError(`identity provider unreachable: ${(err as Error).message}`);
  }
  if (!res.ok) throw new OidcError(`identity provider discovery answered HTTP ${res.status}`);
  const doc = (await res.json()) as Partial<Discovery>;
  if (!doc.authorization_endpoint || !doc.token_endpoint || !doc.jwks_uri || !doc.issuer) {
    throw new OidcError("identity provider discovery document lacks endpoints");
  }
  const entry = { doc: doc as Discovery, jwks: createRemoteJWKSet(new URL(doc.jwks_uri)), at: Date.now() };
  discoveryCache.set(cfg.issuer, entry);
  return entry;
}

export interface AuthorizationRequest {
  url: string;
  /** Keep server-side until the callback. */
  codeVerifier: string;
  nonce: string;
}

export function pkceChallenge(verifier: string): string {
  return crypto.createHash("sha256").update(verifier).digest("base64url");
}

/** Builds the IdP authorization URL; `state` is the caller's (its hash keys the AuthFlow row). */
export async function authorizationRequest(cfg: OidcConfig, opts: { redirectUri: string; state: string; loginHint?: string | null }): Promise<AuthorizationRequest> {
  const { doc } = await discover(cfg);
  const codeVerifier = crypto.randomBytes(32).toString("base64url");
  const nonce = crypto.randomBytes(16).toString("base64url");
  const url = new URL(doc.authorization_endpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", cfg.clientId);
  url.searchParams.set("redirect_uri", opts.redirectUri);
  url.searchParams.set("scope", "openid email profile");
  url.searchParams.set("state", opts.state);
  url.searchParams.set("nonce", nonce);
  url.searchParams.set("code_challenge", pkceChallenge(codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  if (opts.loginHint) url.searchParams.set("login_hint", opts.loginHint);
  return { url: url.toString(), codeVerifier, nonce };
}

export interface IdpIdentity {
  subject: string;
  email: string | null;
  /** Other names the IdP knows the person by (preferred_username, upn), lower-cased. */
  aliases: string[];
  name: string | null;
}

/** Exchanges the code and verifies the id_token (signature, issuer, audience, expiry, nonce). */
export async function completeSignIn(cfg: OidcConfig, opts: { code: string; redirectUri: string; codeVerifier: string; nonce: string }): Promise<IdpIdentity> {
  const { doc, jwks } = await discover(cfg);
  const body = new URLSearchParams({ grant_type: "authorization_code", code: opts.code, redirect_uri: opts.redirectUri, code_verifier: opts.codeVerifier });
  let res: Response;
  try {
    res = await fetch(doc.token_endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(cfg.clientId)}:${encodeURIComponent(cfg.clientSecret)}`).toString("base64")}`,
      },
      body,
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (err) {
    throw new OidcError(`identity provider token endpoint unreachable: ${(err as Error).message}`);
  }
  const text = await res.text();
  let tokens: { id_token?: unknown; error?: unknown; error_description?: unknown };
  try {
    tokens = JSON.parse(text) as typeof tokens;
  } catch {
    throw new OidcError(`identity provider token endpoint answered HTTP ${res.status} without JSON`);
  }
  if (!res.ok || typeof tokens.id_token !== "string") {
    throw new OidcError(`identity provider refused the code: ${String(tokens.error ?? res.status)}${tokens.error_description ? ` (${String(tokens.error_description)})` : ""}`);
  }
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(tokens.id_token, jwks, { issuer: doc.issuer, audience: cfg.clientId, clockTolerance: 60 }));
  } catch (err) {
    throw new OidcError(`id_token rejected: ${(err as Error).message}`);
  }
  if (claims.nonce !== opts.nonce) throw new OidcError("id_token nonce does not match the sign-in");
  if (typeof claims.sub !== "string" || !claims.sub) throw new OidcError("id_token has no subject");
  const str = (v: unknown) => (typeof v === "string" && v ? v.toLowerCase() : null);
  const email = claims.email_verified === false ? null : str(claims.email);
  const aliases = [str(claims.preferred_username), str(claims.upn)].filter((x): x is string => x !== null);
  return { subject: claims.sub, email, aliases, name: typeof claims.name === "string" ? claims.name : null };
}
