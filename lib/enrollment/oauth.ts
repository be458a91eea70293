// The OAuth 2 method of account-driven enrollment (seed 001, protocol notes): our own
// authorization server for the device. Authorization-code grant with PKCE S256 and the user
// identifier as login_hint; the sign-in itself is the same page and IdP leg as the simple
// method. Short-lived access tokens; rotating refresh tokens whose reuse revokes the family.
// Errors follow RFC 6749 (redirect with error=… where allowed, JSON at the token endpoint).
import crypto from "node:crypto";
import { config } from "../config";
import { db } from "../db/client";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import type { ReasonCode } from "../log/reasons";
import { safeEqual } from "../secrets/hash";
import { hashToken, isEnrollmentVersion, issueAccessToken, looksLikeToken, newToken, TOKEN_TTL_SECONDS, type EnrollmentVersion } from "./accessTokens";
import type { AuthResult } from "./authResult";
import { createFlow, type OAuthFlow } from "./authFlows";
import { getAddeSettings } from "./addeSettings";
import { parseIdentifier } from "./users";

/** Apple's fixed redirect URL for the OAuth 2 method. */
export const OAUTH_REDIRECT_URL = "apple-remotemanagement-user-login:/oauth2/redirection";

export function authorizationUrl(): string {
  return `${config().publicUrl}/oauth2/authorize`;
}

export function tokenUrl(): string {
  return `${config().publicUrl}/oauth2/token`;
}

function oauthError(redirectUri: string, state: string | null, error: string, description: string): AuthResult {
  const u = new URL(redirectUri);
  u.searchParams.set("error", error);
  u.searchParams.set("error_description", description);
  if (state !== null) u.searchParams.set("state", state);
  return { kind: "redirect", status: 302, location: u.toString() };
}

async function logOAuth(outcome: "OK" | "ERROR", message: string, reason: ReasonCode | null, user: string | null, remoteAddr?: string | null): Promise<void> {
  await writeEnrollmentLog({ step: "adde.oauth", outcome, reason, message, userIdentifier: user, remoteAddr });
}

/** GET /oauth2/authorize: validates the request, keeps it server-side and sends the person to sign in. */
export async function authorize(params: URLSearchParams, remoteAddr?: string | null): Promise<AuthResult> {
  const settings = await getAddeSettings();
  const clientId = params.get("client_id");
  const redirectUri = params.get("redirect_uri") ?? OAUTH_REDIRECT_URL;
  const state = params.get("state");
  const hint = params.get("login_hint");
  // RFC 6749 4.1.2.1: a bad client or redirect URI must not be redirected to.
  if (!clientId || !safeEqual(clientId, settings.oauthClientId) || redirectUri !== OAUTH_REDIRECT_URL) {
    await logOAuth("ERROR", `authorization request with unknown client "${clientId ?? ""}" or redirect URI "${redirectUri}"`, "oauth_invalid_request", hint, remoteAddr);
    return { kind: "error", status: 400, title: "Invalid sign-in request", message: "The device's sign-in request names an unknown client or redirect URL." };
  }
  const reject = async (error: string, description: string) => {
    await logOAuth("ERROR", `authorization request refused: ${error} (${description})`, "oauth_invalid_request", hint, remoteAddr);
    return oauthError(redirectUri, state, error, description);
  };
  if (params.get("response_type") !== "code") return reject("unsupported_response_type", "only response_type=code is supported");
  const challenge = params.get("code_challenge");
  if (!challenge || !/^[A-Za-z0-9_-]{43}$/.test(challenge) || params.get("code_challenge_method") !== "S256") {
    return reject("invalid_request", "PKCE with code_challenge_method=S256 is required");
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
  await logOAuth("OK", `OAuth 2 authorization started for ${identifier ?? "(no login_hint)"} (${version})`, null, identifier, remoteAddr);
  return { kind: "redirect", status: 302, location: `${config().publicUrl}/authenticate?flow=${encodeURIComponent(handle)}` };
}

/** After sign-in: a one-time authorization code bound to the client, redirect URI and PKCE challenge. */
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

async function issuePair(userId: string, version: EnrollmentVersion, clientId: string, scope: string, familyId: string): Promise<TokenResponse> {
  const accessToken = await issueAccessToken(userId, version, { ttlSeconds: TOKEN_TTL_SECONDS.oauthAccess, clientId, familyId, scope });
  const refreshToken = newToken("REFRESH");
  await db().accessToken.create({
    data: { kind: "REFRESH", hash: hashToken(refreshToken), userId, version, clientId, scope, familyId, expiresAt: new Date(Date.now() + TOKEN_TTL_SECONDS.refresh * 1000) },
  });
  return {
    status: 200,
    body: { access_token: accessToken, token_type: "Bearer", expires_in: TOKEN_TTL_SECONDS.oauthAccess, refresh_token: refreshToken, scope },
    headers: { ...NO_STORE },
  };
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

/**
 * Spends a single-use token (authorization code, refresh token) for the grant. Malformed and
 * unknown ones are logged and refused here. One presented again (or raced) revokes the
 * family it belongs to: RFC 6749 4.1.2 for codes, rotation reuse for refresh tokens; the
 * grant logs that in its own words.
 */
async function spendOneTime(
  presented: string,
  kind: keyof typeof ONE_TIME,
  remoteAddr?: string | null,
): Promise<{ refused: TokenResponse } | { row: OneTimeRow; replayRevoked: number | null }> {
  const { what, request } = ONE_TIME[kind];
  const refuse = async (adjective: string) => {
    await logOAuth("ERROR", `${request} with ${adjective} ${what}`, "oauth_invalid_request", null, remoteAddr);
    return { refused: tokenError("invalid_grant", `the ${what} is not valid`) };
  };
  if (!looksLikeToken(presented, kind)) return refuse("a malformed");
  const row = await findOneTime(presented);
  if (!row || row.kind !== kind) return refuse("an unknown");
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
  const verifier = form.get("code_verifier") ?? "";
  const redirectUri = form.get("redirect_uri");
  const spent = await spendOneTime(form.get("code") ?? "", "AUTH_CODE", remoteAddr);
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
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) problems.push("code_verifier is missing or malformed");
  else if (!row.codeChallenge || !safeEqual(crypto.createHash("sha256").update(verifier).digest("base64url"), row.codeChallenge)) problems.push("code_verifier does not match the code_challenge");
  if (problems.length) {
    await logOAuth("ERROR", `authorization code refused: ${problems.join("; ")}`, "oauth_invalid_request", who, remoteAddr);
    return tokenError("invalid_grant", problems[0]);
  }
  if (!isEnrollmentVersion(row.version)) return tokenError("invalid_grant", "the authorization code is not valid");
  const res = await issuePair(row.userId, row.version, clientId, row.scope ?? row.version, row.familyId ?? crypto.randomUUID());
  await writeEnrollmentLog({ step: "adde.token", outcome: "OK", message: `access and refresh token issued to ${who} for ${row.version} (OAuth 2 method)`, userIdentifier: who, remoteAddr });
  return res;
}

async function refreshGrant(form: URLSearchParams, clientId: string, remoteAddr?: string | null): Promise<TokenResponse> {
  const spent = await spendOneTime(form.get("refresh_token") ?? "", "REFRESH", remoteAddr);
  if ("refused" in spent) return spent.refused;
  const { row } = spent;
  const who = row.user.identifier;
  if (spent.replayRevoked !== null) {
    const n = spent.replayRevoked;
    await writeEnrollmentLog({
      step: "adde.refresh",
      outcome: "ERROR",
      reason: "refresh_token_reused",
      message: `refresh token of ${who} presented again after rotation; revoked the whole family (${n} token(s)), the user must sign in again`,
      userIdentifier: who,
      remoteAddr,
    });
    return tokenError("invalid_grant", "the refresh token was already used");
  }
  let reason: ReasonCode | null = null;
  if (row.revokedAt) reason = row.user.tokensRevokedAt ? "tokens_revoked_by_admin" : "access_token_revoked";
  else if (row.user.tokensRevokedAt && row.user.tokensRevokedAt.getTime() >= row.createdAt.getTime()) reason = "tokens_revoked_by_admin";
  else if (row.expiresAt.getTime() <= Date.now()) reason = "access_token_expired";
  else if (row.clientId !== clientId) reason = "oauth_invalid_request";
  else if (!isEnrollmentVersion(row.version)) reason = "access_token_invalid";
  if (reason) {
    await writeEnrollmentLog({ step: "adde.refresh", outcome: "ERROR", reason, message: `token refresh for ${who} refused (${reason})`, userIdentifier: who, remoteAddr });
    return tokenError("invalid_grant", "the refresh token is no longer valid");
  }
  const res = await issuePair(row.userId, row.version as EnrollmentVersion, clientId, row.scope ?? row.version, row.familyId ?? crypto.randomUUID());
  await writeEnrollmentLog({ step: "adde.refresh", outcome: "OK", message: `tokens refreshed for ${who} (${row.version}); the old refresh token is spent`, userIdentifier: who, remoteAddr });
  return res;
}
