// The OAuth 2 method of account-driven enrollment (protocol notes): our own authorization
// server for the device. Apple's client is a public client with a fixed custom-scheme
// redirect and runs the authorization-code grant WITHOUT PKCE: response_type, client_id,
// redirect_uri, scope, state and login_hint; then grant_type, code, redirect_uri,
// client_id; refreshes with grant_type, refresh_token, client_id. A client that does send
// PKCE (S256) gets it verified. `state` is required and echoed. The sign-in itself is the
// same page and IdP leg as the simple method; every end of it is a 308 to the redirect URL.
// Short-lived access tokens; rotating refresh tokens with a short grace window for a lost
// answer (REFRESH_GRACE_SECONDS) and reuse detection beyond it. Errors follow RFC 6749
// (redirect with error=… where allowed, JSON at the token endpoint).
import crypto from "node:crypto";
import { config } from "../config";
import { db } from "../db/client";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import type { ReasonCode } from "../log/reasons";
import { safeEqual } from "../secrets/hash";
import { seal, unseal } from "../secrets/sealed";
import { hashToken, isEnrollmentVersion, looksLikeToken, newToken, pruneExpired, TOKEN_TTL_SECONDS, type EnrollmentVersion } from "./accessTokens";
import type { AuthResult } from "./authResult";
import { createFlow, type OAuthFlow } from "./authFlows";
import { getAddeSettings } from "./addeSettings";
import { userRoutedTo } from "./routes";
import { parseIdentifier } from "./users";

/** Apple's fixed redirect URL for the OAuth 2 method. */
export const OAUTH_REDIRECT_URL = "apple-remotemanagement-user-login:/oauth2/redirection";

export function authorizationUrl(): string {
  return `${config().publicUrl}/oauth2/authorize`;
}

export function tokenUrl(): string {
  return `${config().publicUrl}/oauth2/token`;
}

/** The end of every OAuth 2 sign-in path: 308 to the redirect URL with these parameters (and state). */
export function redirectToClient(redirectUri: string, params: Record<string, string>, state: string | null): AuthResult {
  const all = state === null ? params : { ...params, state };
  // Percent-encoding only (never "+" for a space): Apple's client reads the query with
  // NSURLComponents, which decodes %XX but not "+", and compares state exactly.
  const query = Object.entries(all)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join("&");
  return { kind: "redirect", status: 308, location: `${redirectUri}?${query}` };
}

/** RFC 6749 4.1.2.1: an error for the client, carried back on the redirect URL. */
export function oauthError(redirectUri: string, state: string | null, error: string, description: string): AuthResult {
  return redirectToClient(redirectUri, { error, error_description: description }, state);
}

/** RFC 7636: S256 challenges are 43 base64url characters; verifiers 43-128 unreserved characters. */
const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** Apple's client sends a UUID; anything printable of sane length is accepted and echoed. */
const STATE = /^[\x20-\x7e]{1,512}$/;

async function logOAuth(outcome: "OK" | "ERROR", message: string, reason: ReasonCode | null, user: string | null, remoteAddr?: string | null): Promise<void> {
  await writeEnrollmentLog({ step: "adde.oauth", outcome, reason, message, userIdentifier: user, remoteAddr });
}

/** GET /oauth2/authorize: validates the request, keeps it server-side and sends the person to sign in. */
export async function authorize(params: URLSearchParams, remoteAddr?: string | null): Promise<AuthResult> {
  const settings = await getAddeSettings();
  const clientId = params.get("client_id");
  const redirectUri = params.get("redirect_uri") ?? OAUTH_REDIRECT_URL;
  const rawState = params.get("state");
  // Only a well-formed state is echoed (an oversized or binary one is refused, not reflected).
  const state = rawState !== null && STATE.test(rawState) ? rawState : null;
  const hint = params.get("login_hint");
  // RFC 6749 4.1.2.1: a bad client or redirect URI must not be redirected to.
  if (!clientId || !safeEqual(clientId, settings.oauthClientId) || redirectUri !== OAUTH_REDIRECT_URL) {
    await logOAuth("ERROR", `authorization request with unknown client "${clientId ?? ""}" or redirect URI "${redirectUri}"`, "oauth_invalid_request", hint, remoteAddr);
    return { kind: "error", status: 400, code: "bad_request" };
  }
  const reject = async (error: string, description: string) => {
    await logOAuth("ERROR", `authorization request refused: ${error} (${description})`, "oauth_invalid_request", hint, remoteAddr);
    return oauthError(redirectUri, state, error, description);
  };
  if (params.get("response_type") !== "code") return reject("unsupported_response_type", "only response_type=code is supported");
  // The client's state comes back with the code; without it the client cannot tell our answer from a forged one.
  if (state === null) return reject("invalid_request", rawState === null ? "state is required" : "state must be 1-512 printable ASCII characters");
  // PKCE is optional (Apple's client sends none); when a client sends it, only S256.
  const challenge = params.get("code_challenge");
  const method = params.get("code_challenge_method");
  if (challenge !== null || method !== null) {
    if (!challenge || !PKCE_CHALLENGE.test(challenge) || method !== "S256") return reject("invalid_request", "code_challenge must be S256 (code_challenge_method=S256)");
  }
  const scopes = (params.get("scope") ?? "").split(" ").filter(Boolean);
  const version = scopes.find(isEnrollmentVersion);
  if (!version) return reject("invalid_scope", "scope must include mdm-byod or mdm-adde");
  let identifier: string | null = null;
  if (hint) {
    const who = parseIdentifier(hint);
    if (!who) return reject("invalid_request", "login_hint is not a user@domain identifier");
    identifier = who.identifier;
  }
  const flow: OAuthFlow = { kind: "oauth", version, identifier, clientId: settings.oauthClientId, redirectUri, codeChallenge: challenge, state, scope: version };
  const handle = await createFlow(flow);
  await logOAuth("OK", `OAuth 2 authorization started for ${identifier ?? "(no login_hint)"} (${version}, ${challenge ? "with PKCE" : "without PKCE"})`, null, identifier, remoteAddr);
  return { kind: "redirect", status: 302, location: `${config().publicUrl}/authenticate?flow=${encodeURIComponent(handle)}` };
}

/** After sign-in: a one-time authorization code bound to the client, redirect URI and PKCE challenge (if any). */
export async function issueAuthorizationCode(userId: string, flow: OAuthFlow): Promise<string> {
  const code = newToken("AUTH_CODE");
  await db().accessToken.create({
    data: {
      kind: "AUTH_CODE",
      hash: hashToken(code),
      userId,
      version: flow.version,
      // The family the tokens from this code will share, so a replayed code can revoke them.
      familyId: crypto.randomUUID(),
      clientId: flow.clientId,
      scope: flow.scope,
      codeChallenge: flow.codeChallenge,
      redirectUri: flow.redirectUri,
      expiresAt: new Date(Date.now() + TOKEN_TTL_SECONDS.authCode * 1000),
    },
  });
  return code;
}

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

function tokenError(error: string, description: string, status = 400): TokenResponse {
  const headers: Record<string, string> = { ...NO_STORE };
  if (status === 401) headers["www-authenticate"] = 'Basic realm="oauth2"';
  return { status, body: { error, error_description: description }, headers };
}

async function revokeFamily(familyId: string | null): Promise<number> {
  if (!familyId) return 0;
  const { count } = await db().accessToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } });
  return count;
}

interface TokenPair {
  accessToken: string;
  refreshToken: string;
  scope: string;
  /** When the access token expires (ms since the epoch). */
  accessExpiresAt: number;
}

function pairResponse(p: TokenPair): TokenResponse {
  return {
    status: 200,
    body: { access_token: p.accessToken, token_type: "Bearer", expires_in: Math.max(0, Math.ceil((p.accessExpiresAt - Date.now()) / 1000)), refresh_token: p.refreshToken, scope: p.scope },
    headers: { ...NO_STORE },
  };
}

/** A new access + refresh token pair (not stored yet) and the rows that store it. */
function newPair(userId: string, version: EnrollmentVersion, clientId: string, scope: string, familyId: string) {
  const now = Date.now();
  const pair: TokenPair = { accessToken: newToken("ACCESS"), refreshToken: newToken("REFRESH"), scope, accessExpiresAt: now + TOKEN_TTL_SECONDS.oauthAccess * 1000 };
  const common = { userId, version, clientId, scope, familyId };
  const rows = [
    { kind: "ACCESS" as const, hash: hashToken(pair.accessToken), ...common, expiresAt: new Date(pair.accessExpiresAt) },
    { kind: "REFRESH" as const, hash: hashToken(pair.refreshToken), ...common, expiresAt: new Date(now + TOKEN_TTL_SECONDS.refresh * 1000) },
  ];
  return { pair, rows };
}

async function issuePair(userId: string, version: EnrollmentVersion, clientId: string, scope: string, familyId: string): Promise<TokenResponse> {
  await pruneExpired(userId);
  const { pair, rows } = newPair(userId, version, clientId, scope, familyId);
  await db().$transaction(rows.map((data) => db().accessToken.create({ data })));
  return pairResponse(pair);
}

/** Marks a single-use row used; false when another request got there first. */
async function markUsed(id: string): Promise<boolean> {
  const { count } = await db().accessToken.updateMany({ where: { id, usedAt: null }, data: { usedAt: new Date() } });
  return count === 1;
}

const ONE_TIME = {
  AUTH_CODE: { what: "authorization code", request: "token request" },
  REFRESH: { what: "refresh token", request: "token refresh" },
} as const;

async function findOneTime(presented: string) {
  return db().accessToken.findUnique({ where: { hash: hashToken(presented) }, include: { user: true } });
}
type OneTimeRow = NonNullable<Awaited<ReturnType<typeof findOneTime>>>;

/** The row of a presented code or refresh token; malformed and unknown ones are logged and refused here. */
async function findPresented(presented: string, kind: keyof typeof ONE_TIME, remoteAddr?: string | null): Promise<{ refused: TokenResponse } | { row: OneTimeRow }> {
  const { what, request } = ONE_TIME[kind];
  const refuse = async (adjective: string) => {
    await logOAuth("ERROR", `${request} with ${adjective} ${what}`, "oauth_invalid_request", null, remoteAddr);
    return { refused: tokenError("invalid_grant", `the ${what} is not valid`) };
  };
  if (!looksLikeToken(presented, kind)) return refuse("a malformed");
  const row = await findOneTime(presented);
  if (!row || row.kind !== kind) return refuse("an unknown");
  return { row };
}

/**
 * Spends an authorization code for the grant. One presented again (or raced) revokes the
 * tokens issued from it (RFC 6749 4.1.2); the grant logs that in its own words. (Refresh
 * tokens rotate with a grace window instead: refreshGrant.)
 */
async function spendCode(presented: string, remoteAddr?: string | null): Promise<{ refused: TokenResponse } | { row: OneTimeRow; replayRevoked: number | null }> {
  const found = await findPresented(presented, "AUTH_CODE", remoteAddr);
  if ("refused" in found) return found;
  const { row } = found;
  if (row.usedAt || !(await markUsed(row.id))) return { row, replayRevoked: await revokeFamily(row.familyId) };
  return { row, replayRevoked: null };
}

/** A public client may also name itself with HTTP Basic (RFC 6749 2.3.1; empty password). */
function basicClientId(authorization: string | null | undefined): string | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? "");
  if (!m) return null;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  try {
    return decodeURIComponent(colon >= 0 ? decoded.slice(0, colon) : decoded);
  } catch {
    return null;
  }
}

/** POST /oauth2/token (application/x-www-form-urlencoded). */
export async function token(form: URLSearchParams, remoteAddr?: string | null, authorization?: string | null): Promise<TokenResponse> {
  const settings = await getAddeSettings();
  const grant = form.get("grant_type");
  const clientId = form.get("client_id") ?? basicClientId(authorization);
  if (!clientId || !safeEqual(clientId, settings.oauthClientId)) {
    await logOAuth("ERROR", `token request from unknown client "${clientId ?? ""}"`, "oauth_invalid_request", null, remoteAddr);
    return tokenError("invalid_client", "unknown client_id", 401);
  }
  if (grant === "authorization_code") return codeGrant(form, clientId, remoteAddr);
  if (grant === "refresh_token") return refreshGrant(form, clientId, remoteAddr);
  await logOAuth("ERROR", `token request with unsupported grant_type "${grant ?? ""}"`, "oauth_invalid_request", null, remoteAddr);
  return tokenError(grant ? "unsupported_grant_type" : "invalid_request", grant ? "only authorization_code and refresh_token are supported" : "grant_type is required");
}

async function codeGrant(form: URLSearchParams, clientId: string, remoteAddr?: string | null): Promise<TokenResponse> {
  const verifier = form.get("code_verifier");
  const redirectUri = form.get("redirect_uri");
  const spent = await spendCode(form.get("code") ?? "", remoteAddr);
  if ("refused" in spent) return spent.refused;
  const { row } = spent;
  const who = row.user.identifier;
  if (spent.replayRevoked !== null) {
    await logOAuth("ERROR", `authorization code presented twice; revoked ${spent.replayRevoked} token(s) issued from it`, "refresh_token_reused", who, remoteAddr);
    return tokenError("invalid_grant", "the authorization code was already used");
  }
  const problems: string[] = [];
  if (row.expiresAt.getTime() <= Date.now()) problems.push("the authorization code expired");
  if (row.revokedAt) problems.push("the authorization code was revoked");
  if (row.clientId !== clientId) problems.push("the code was issued to another client");
  if (redirectUri !== null && redirectUri !== row.redirectUri) problems.push("redirect_uri differs from the authorization request");
  if (row.codeChallenge) {
    // The client sent PKCE when it asked for the code, so the exchange must prove it.
    if (verifier === null || !PKCE_VERIFIER.test(verifier)) problems.push("code_verifier is missing or malformed");
    else if (!safeEqual(crypto.createHash("sha256").update(verifier).digest("base64url"), row.codeChallenge)) problems.push("code_verifier does not match the code_challenge");
  } else if (verifier !== null) {
    // A verifier for a code requested without a challenge: refuse (PKCE downgrade, OAuth 2.1 section 4.1.3).
    problems.push("code_verifier sent for an authorization request without code_challenge");
  }
  if (problems.length) {
    await logOAuth("ERROR", `authorization code refused: ${problems.join("; ")}`, "oauth_invalid_request", who, remoteAddr);
    return tokenError("invalid_grant", problems[0]);
  }
  if (!isEnrollmentVersion(row.version)) return tokenError("invalid_grant", "the authorization code is not valid");
  const res = await issuePair(row.userId, row.version, clientId, row.scope ?? row.version, row.familyId ?? crypto.randomUUID());
  await writeEnrollmentLog({
    step: "adde.token",
    outcome: "OK",
    message: `access and refresh token issued to ${who} for ${row.version} (OAuth 2 method, ${row.codeChallenge ? "with" : "without"} PKCE)`,
    userIdentifier: who,
    remoteAddr,
  });
  return res;
}

/**
 * A device whose refresh answer was lost (network, crash) presents the same refresh token
 * again. Within this window after the rotation it gets the same new pair once more, as long
 * as that pair's refresh token has not been used itself; later, or after the successor was
 * used, the presentation counts as reuse and revokes the whole family.
 */
export const REFRESH_GRACE_SECONDS = 60;
const SUCCESSOR_CONTEXT = "adde:refresh-successor";

class RotationLost extends Error {}

/** Rotates the refresh token: marks it used and stores the successor pair in one transaction. */
async function rotate(row: OneTimeRow, clientId: string): Promise<TokenPair | null> {
  const { pair, rows } = newPair(row.userId, row.version as EnrollmentVersion, clientId, row.scope ?? row.version, row.familyId ?? crypto.randomUUID());
  try {
    await db().$transaction(async (tx) => {
      // Only one request can take the row from unused to used; the loser sees the successor.
      const { count } = await tx.accessToken.updateMany({
        where: { id: row.id, usedAt: null, revokedAt: null },
        data: { usedAt: new Date(), successor: seal(JSON.stringify(pair), SUCCESSOR_CONTEXT) },
      });
      if (count !== 1) throw new RotationLost();
      for (const data of rows) await tx.accessToken.create({ data });
    });
  } catch (err) {
    if (err instanceof RotationLost) return null;
    throw err;
  }
  return pair;
}

/** The pair a retried refresh gets again, or null when the retry is outside the rule. */
async function graceSuccessor(row: OneTimeRow): Promise<TokenPair | null> {
  if (!row.usedAt || !row.successor || Date.now() - row.usedAt.getTime() > REFRESH_GRACE_SECONDS * 1000) return null;
  let pair: TokenPair;
  try {
    pair = JSON.parse(unseal(row.successor, SUCCESSOR_CONTEXT)) as TokenPair;
  } catch {
    return null;
  }
  // Only the immediately previous token: once the successor was itself used (or revoked), no grace.
  const next = await db().accessToken.findUnique({ where: { hash: hashToken(pair.refreshToken) } });
  return next && !next.usedAt && !next.revokedAt ? pair : null;
}

async function refreshGrant(form: URLSearchParams, clientId: string, remoteAddr?: string | null): Promise<TokenResponse> {
  const presented = form.get("refresh_token") ?? "";
  const found = await findPresented(presented, "REFRESH", remoteAddr);
  if ("refused" in found) return found.refused;
  let row = found.row;
  const who = row.user.identifier;
  await pruneExpired(row.userId);
  // Sealed successors are only needed for the grace window; forget older ones of this user.
  await db().accessToken.updateMany({ where: { userId: row.userId, successor: { not: null }, usedAt: { lt: new Date(Date.now() - REFRESH_GRACE_SECONDS * 1000) } }, data: { successor: null } });
  let reason: ReasonCode | null = null;
  if (row.revokedAt) reason = row.user.tokensRevokedAt ? "tokens_revoked_by_admin" : "access_token_revoked";
  else if (row.user.tokensRevokedAt && row.user.tokensRevokedAt.getTime() >= row.createdAt.getTime()) reason = "tokens_revoked_by_admin";
  else if (row.expiresAt.getTime() <= Date.now()) reason = "access_token_expired";
  else if (row.clientId !== clientId) reason = "oauth_invalid_request";
  else if (!isEnrollmentVersion(row.version)) reason = "access_token_invalid";
  else if (!(await userRoutedTo(who, row.version))) reason = "adde_route_removed";
  if (reason) {
    const why = reason === "adde_route_removed" ? `: no enabled routing rule gives ${who} ${row.version} any more` : "";
    await writeEnrollmentLog({
      step: "adde.refresh",
      outcome: "ERROR",
      reason,
      message: `token refresh for ${who} refused (${reason})${why}; the user must sign in again`,
      userIdentifier: who,
      remoteAddr,
    });
    return tokenError("invalid_grant", "the refresh token is no longer valid");
  }
  if (!row.usedAt) {
    const pair = await rotate(row, clientId);
    if (pair) {
      await writeEnrollmentLog({ step: "adde.refresh", outcome: "OK", message: `tokens refreshed for ${who} (${row.version}); the old refresh token is spent`, userIdentifier: who, remoteAddr });
      return pairResponse(pair);
    }
    // A concurrent request with the same token rotated it first: this one is its retry.
    row = (await findOneTime(presented)) ?? row;
  }
  const again = await graceSuccessor(row);
  if (again) {
    await writeEnrollmentLog({
      step: "adde.refresh",
      outcome: "WARNING",
      message: `refresh token of ${who} presented again ${Math.round((Date.now() - (row.usedAt?.getTime() ?? Date.now())) / 1000)} s after rotation (within the ${REFRESH_GRACE_SECONDS} s grace window, the answer was probably lost); the same new tokens were returned again`,
      userIdentifier: who,
      remoteAddr,
    });
    return pairResponse(again);
  }
  const n = await revokeFamily(row.familyId);
  await writeEnrollmentLog({
    step: "adde.refresh",
    outcome: "ERROR",
    reason: "refresh_token_reused",
    message: `refresh token of ${who} presented again after rotation (outside the ${REFRESH_GRACE_SECONDS} s grace window, or its successor was already used); revoked the whole family (${n} token(s)), the user must sign in again`,
    userIdentifier: who,
    remoteAddr,
  });
  return tokenError("invalid_grant", "the refresh token was already used");
}
