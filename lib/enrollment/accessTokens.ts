// Account-driven enrollment tokens (seed 003 steps 11, 12 and 19). Tokens are opaque random
// strings; only their SHA-256 is stored, so a database leak does not hand out enrollments.
// The same table holds OAuth 2 refresh tokens and authorization codes (lib/enrollment/oauth.ts).
import { db } from "../db/client";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import type { ReasonCode } from "../log/reasons";
import { randomToken, sha256Hex } from "../secrets/hash";
import { normalizeIdentifier } from "./users";

export type EnrollmentVersion = "mdm-byod" | "mdm-adde";
export const ENROLLMENT_VERSIONS: readonly EnrollmentVersion[] = ["mdm-byod", "mdm-adde"];

export function isEnrollmentVersion(v: unknown): v is EnrollmentVersion {
  return v === "mdm-byod" || v === "mdm-adde";
}

/** Prefixes make our tokens recognisable in logs and let foreign tokens fail fast. */
export const TOKEN_PREFIX = { ACCESS: "ada_", REFRESH: "adr_", AUTH_CODE: "adc_" } as const;
type Kind = keyof typeof TOKEN_PREFIX;

/**
 * Lifetimes. The simple method has no silent renewal, so its token lives long (every expiry
 * makes the person sign in again); OAuth access tokens are short and renewed with the
 * refresh token.
 */
export const TOKEN_TTL_SECONDS = {
  simpleAccess: 180 * 24 * 3600,
  oauthAccess: 3600,
  refresh: 90 * 24 * 3600,
  authCode: 120,
} as const;

const TOKEN_SHAPE = /^(ada|adr|adc)_[A-Za-z0-9_-]{43}$/;

export type VerifyResult = { ok: true; userId: string; userIdentifier: string; version: EnrollmentVersion } | { ok: false; reason: ReasonCode; userIdentifier?: string };

export function hashToken(token: string): string {
  return sha256Hex(token);
}

export function newToken(kind: Kind): string {
  return `${TOKEN_PREFIX[kind]}${randomToken(32)}`;
}

/** True when the string has the shape of one of our tokens of that kind (no DB access). */
export function looksLikeToken(token: string, kind: Kind): boolean {
  return TOKEN_SHAPE.test(token) && token.startsWith(TOKEN_PREFIX[kind]);
}

export interface IssueOptions {
  ttlSeconds?: number;
  /** OAuth: the client and the refresh-token family the access token belongs to. */
  clientId?: string;
  familyId?: string;
  scope?: string;
}

/** Issues an access token for the user; returns the token itself (shown once, stored hashed). */
export async function issueAccessToken(userId: string, version: EnrollmentVersion, opts: IssueOptions = {}): Promise<string> {
  const token = newToken("ACCESS");
  await pruneExpired(userId);
  await db().accessToken.create({
    data: {
      kind: "ACCESS",
      hash: hashToken(token),
      userId,
      version,
      clientId: opts.clientId ?? null,
      familyId: opts.familyId ?? null,
      scope: opts.scope ?? null,
      expiresAt: new Date(Date.now() + 1000 * (opts.ttlSeconds ?? TOKEN_TTL_SECONDS.simpleAccess)),
    },
  });
  return token;
}

/** Keeps the table small: a user's tokens and codes that expired a week ago are gone (indexed by user). */
export async function pruneExpired(userId: string): Promise<void> {
  await db().accessToken.deleteMany({ where: { userId, expiresAt: { lt: new Date(Date.now() - 7 * 24 * 3600 * 1000) } } });
}

/**
 * Checks a bearer access token. Does not write a log line: callers know the context
 * (enroll request, check-in of which device) and log the reason themselves.
 */
export async function verifyAccessToken(token: string): Promise<VerifyResult> {
  if (!looksLikeToken(token, "ACCESS")) return { ok: false, reason: "access_token_malformed" };
  const row = await db().accessToken.findUnique({ where: { hash: hashToken(token) }, include: { user: true } });
  if (row?.kind !== "ACCESS") return { ok: false, reason: "access_token_invalid" };
  if (row.revokedAt) return { ok: false, reason: row.user.tokensRevokedAt ? "tokens_revoked_by_admin" : "access_token_revoked" };
  if (row.user.tokensRevokedAt && row.user.tokensRevokedAt.getTime() >= row.createdAt.getTime()) return { ok: false, reason: "tokens_revoked_by_admin" };
  if (row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: "access_token_expired" };
  if (!isEnrollmentVersion(row.version)) return { ok: false, reason: "access_token_invalid" };
  return { ok: true, userId: row.userId, userIdentifier: row.user.identifier, version: row.version };
}

/** Splits an Authorization header into the bearer token, or null when it is not one. */
export function bearerToken(header: string | null): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/**
 * Invalidates every token the user holds (access, refresh, pending codes); devices then get
 * 401 on their next request and the person has to sign in again. Returns false for an
 * unknown user.
 */
export async function revokeUserTokens(identifier: string, actor = "admin"): Promise<boolean> {
  const now = new Date();
  const user = await db().user.findUnique({ where: { identifier: normalizeIdentifier(identifier) } });
  if (!user) return false;
  const [, revoked] = await db().$transaction([
    db().user.update({ where: { id: user.id }, data: { tokensRevokedAt: now } }),
    db().accessToken.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: now } }),
  ]);
  await writeEnrollmentLog({
    step: "adde.revoke",
    outcome: "OK",
    reason: "tokens_revoked_by_admin",
    message: `${actor} invalidated all tokens of ${user.identifier} (${revoked.count} token(s)); enrolled devices must sign in again`,
    userIdentifier: user.identifier,
  });
  return true;
}
