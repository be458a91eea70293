// SCEP challenges: what goes into a device's profile, and whether a request's
// challengePassword is acceptable. STATIC is a shared password (sealed, compared in
// constant time); DYNAMIC and NDES are one-time values stored as SHA-256 hashes (single
// use, short expiry); TOKEN is a one-time value of the same kind issued for one counted
// download of an enrollment token and bound to it: it fits PKCS#9's 255 characters (the
// JWT does not) and is resolved server-side to its token, which must still be valid.
import crypto from "node:crypto";
import { db } from "../db/client";
import { notFound, badRequest } from "../errors";
import type { ReasonCode } from "../log/reasons";
import { safeEqual, sha256Hex } from "../secrets/hash";
import { unsealStaticChallenge, type ScepProfile } from "./profiles";

/** How long a one-time challenge stays valid (NDES's default is 60 minutes too). */
export const ONE_TIME_CHALLENGE_MINUTES = 60;

export interface EnrollmentContext {
  tokenId?: string | null;
  userId?: string | null;
  /** Device-bound OTA: the UDID the device proved; the certificate issued with this challenge carries it. */
  boundUdid?: string | null;
}

export type ChallengeSource = "STATIC" | "DYNAMIC" | "TOKEN" | "NDES" | "RENEWAL";

export type ChallengeVerdict =
  | { ok: true; source: ChallengeSource; tokenId: string | null; userId: string | null; renewedFromSerial?: string | null; boundUdid?: string | null }
  | { ok: false; reason: Extract<ReasonCode, "scep_bad_challenge" | "scep_challenge_expired" | "scep_challenge_replayed" | "scep_challenge_revoked">; detail: string; tokenId?: string | null };

/** NDES's format: 16 uppercase hexadecimal characters (64 bits); integrations match [A-F0-9]{16}. */
export function newNdesChallenge(): string {
  return crypto.randomBytes(8).toString("hex").toUpperCase();
}

/** 32 characters of [A-Z0-9] (~165 bits), for one-time challenges no NDES client parses. */
export function newOneTimeChallenge(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  // 252 = 7 * 36: rejection sampling keeps the characters uniform.
  let out = "";
  while (out.length < 32) {
    for (const b of crypto.randomBytes(40)) {
      if (b < 252 && out.length < 32) out += alphabet[b % 36];
    }
  }
  return out;
}

/** Expired one-time challenges are kept this long (so a late reuse still reads "expired"), then pruned. */
export const EXPIRED_CHALLENGE_RETENTION_DAYS = 7;
/**
 * A TOKEN challenge lives as long as its token, at most this long: the profile it is in may
 * wait on a Mac before the user installs it (the JWT challenge it replaces lived as long).
 */
export const TOKEN_CHALLENGE_MAX_DAYS = 30;

async function storeOneTime(profileId: string, source: "DYNAMIC" | "NDES" | "TOKEN", ctx: EnrollmentContext, expiresAt?: Date): Promise<string> {
  // Keep the table small: one row per profile download would otherwise grow forever.
  await db().scepChallenge.deleteMany({
    where: { profileId, source: { in: ["DYNAMIC", "NDES", "TOKEN"] }, expiresAt: { lt: new Date(Date.now() - EXPIRED_CHALLENGE_RETENTION_DAYS * 86_400_000) } },
  });
  const challenge = source === "NDES" ? newNdesChallenge() : newOneTimeChallenge();
  await db().scepChallenge.create({
    data: {
      profileId,
      hash: sha256Hex(challenge),
      source,
      tokenId: ctx.tokenId ?? null,
      userId: ctx.userId ?? null,
      boundUdid: ctx.boundUdid ?? null,
      expiresAt: expiresAt ?? new Date(Date.now() + ONE_TIME_CHALLENGE_MINUTES * 60_000),
    },
  });
  return challenge;
}

/** TOKEN: one challenge per counted download, bound to the token, valid while the token is. */
async function storeTokenChallenge(profileId: string, tokenId: string, boundUdid: string | null): Promise<string> {
  const token = await db().enrollmentToken.findUnique({ where: { id: tokenId }, select: { expiresAt: true } });
  if (!token) throw notFound("enrollment token");
  const cap = Date.now() + TOKEN_CHALLENGE_MAX_DAYS * 86_400_000;
  const expiresAt = new Date(Math.min(token.expiresAt?.getTime() ?? cap, cap));
  return storeOneTime(profileId, "TOKEN", { tokenId, boundUdid }, expiresAt);
}

/** The challenge to embed in a device's SCEP payload for this enrollment. */
export async function challengeForEnrollment(scepProfileId: string, ctx: EnrollmentContext): Promise<string> {
  const profile = await db().scepProfile.findUnique({ where: { id: scepProfileId } });
  if (!profile) throw notFound("SCEP profile");
  switch (profile.challengeType) {
    case "STATIC": {
      const value = unsealStaticChallenge(profile);
      if (!value) throw new Error(`SCEP profile ${profile.id} has no static challenge`);
      return value;
    }
    case "TOKEN":
      if (!ctx.tokenId) throw badRequest("token_required", "this SCEP profile binds its challenge to an enrollment token, and there is no token");
      return storeTokenChallenge(profile.id, ctx.tokenId, ctx.boundUdid ?? null);
    case "DYNAMIC":
    case "NDES":
      return storeOneTime(profile.id, profile.challengeType, ctx);
  }
  throw new Error(`unknown challenge type ${String(profile.challengeType)}`);
}

export type NdesIssue = { ok: true; challenge: string } | { ok: false; reason: "cache_full"; cacheSize: number };

/** NDES challenge URL: a fresh one-time challenge unless the profile's cache size are still unused. */
export async function issueNdesChallenge(profileId: string): Promise<NdesIssue> {
  const profile = await db().scepProfile.findUnique({ where: { id: profileId }, select: { ndesCacheSize: true } });
  if (!profile) throw notFound("SCEP profile");
  const unused = await db().scepChallenge.count({
    where: { profileId, source: "NDES", usedAt: null, expiresAt: { gt: new Date() } },
  });
  if (unused >= profile.ndesCacheSize) return { ok: false, reason: "cache_full", cacheSize: profile.ndesCacheSize };
  return { ok: true, challenge: await storeOneTime(profileId, "NDES", {}) };
}

type OneTimeRefusal = { reason: Extract<ReasonCode, "scep_bad_challenge" | "scep_challenge_expired">; detail: string };

async function verifyOneTime(profile: ScepProfile, challenge: string, stillValid?: (tokenId: string | null) => Promise<OneTimeRefusal | null>): Promise<ChallengeVerdict> {
  const row = await db().scepChallenge.findUnique({ where: { hash: sha256Hex(challenge) } });
  if (!row || row.profileId !== profile.id || row.source !== profile.challengeType) {
    return { ok: false, reason: "scep_bad_challenge", detail: "the challenge is not one this SCEP profile issued" };
  }
  if (row.usedAt) return { ok: false, reason: "scep_challenge_replayed", detail: `the one-time challenge was already used at ${row.usedAt.toISOString()}`, tokenId: row.tokenId };
  // Before the expiry check: revoking the token also ends its challenges' lifetime, and this says why.
  const token = row.tokenId ? await db().enrollmentToken.findUnique({ where: { id: row.tokenId }, select: { revokedAt: true } }) : null;
  if (token?.revokedAt) {
    return {
      ok: false,
      reason: "scep_challenge_revoked",
      detail: `the one-time challenge belongs to enrollment token ${row.tokenId}, revoked at ${token.revokedAt.toISOString()}`,
      tokenId: row.tokenId,
    };
  }
  if (row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: "scep_challenge_expired", detail: `the one-time challenge expired at ${row.expiresAt.toISOString()}`, tokenId: row.tokenId };
  const refusal = stillValid ? await stillValid(row.tokenId) : null;
  if (refusal) return { ok: false, ...refusal, tokenId: row.tokenId };
  // Conditional update: of two concurrent requests with the same challenge, one wins.
  const { count } = await db().scepChallenge.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: new Date() } });
  if (count !== 1) return { ok: false, reason: "scep_challenge_replayed", detail: "the one-time challenge was used by a concurrent request", tokenId: row.tokenId };
  return { ok: true, source: profile.challengeType as "DYNAMIC" | "NDES" | "TOKEN", tokenId: row.tokenId, userId: row.userId, boundUdid: row.boundUdid };
}

/** TOKEN: the one-time challenge of one download, whose token must still be valid (not revoked, not expired). */
async function verifyToken(profile: ScepProfile, challenge: string): Promise<ChallengeVerdict> {
  const verdict = await verifyOneTime(profile, challenge, async (tokenId) => {
    // A revoked token was already refused by verifyOneTime (scep_challenge_revoked).
    const token = tokenId ? await db().enrollmentToken.findUnique({ where: { id: tokenId }, select: { expiresAt: true } }) : null;
    if (!token) return { reason: "scep_bad_challenge", detail: "the enrollment token this challenge was issued for no longer exists" };
    if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) return { reason: "scep_challenge_expired", detail: `the enrollment token expired at ${token.expiresAt.toISOString()}` };
    // "Used up" is expected: the download that delivered this challenge may have taken the last use.
    return null;
  });
  return verdict;
}

/**
 * Identity renewal (lib/mdm/identityRenewal.ts): a one-time challenge tied to the
 * certificate it replaces, whatever the profile's own challenge type. The row's source is
 * "RENEWAL:<old serial>", so the issued certificate can name the serial it renews and,
 * through it, its device. It stays valid until `expiresAt` (the old certificate's end), since
 * the InstallProfile command may wait for an offline device.
 */
export const RENEWAL_SOURCE_PREFIX = "RENEWAL:";

export async function issueRenewalChallenge(profileId: string, oldSerial: string, ctx: EnrollmentContext, expiresAt: Date): Promise<string> {
  const challenge = newOneTimeChallenge();
  await db().scepChallenge.create({
    data: { profileId, hash: sha256Hex(challenge), source: `${RENEWAL_SOURCE_PREFIX}${oldSerial}`, tokenId: ctx.tokenId ?? null, userId: ctx.userId ?? null, expiresAt },
  });
  return challenge;
}

async function verifyRenewal(profile: ScepProfile, challenge: string): Promise<ChallengeVerdict | null> {
  const row = await db().scepChallenge.findUnique({ where: { hash: sha256Hex(challenge) } });
  if (!row?.source.startsWith(RENEWAL_SOURCE_PREFIX) || row.profileId !== profile.id) return null;
  if (row.usedAt) return { ok: false, reason: "scep_challenge_replayed", detail: `the renewal challenge was already used at ${row.usedAt.toISOString()}`, tokenId: row.tokenId };
  if (row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: "scep_challenge_expired", detail: `the renewal challenge expired at ${row.expiresAt.toISOString()}`, tokenId: row.tokenId };
  const { count } = await db().scepChallenge.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: new Date() } });
  if (count !== 1) return { ok: false, reason: "scep_challenge_replayed", detail: "the renewal challenge was used by a concurrent request", tokenId: row.tokenId };
  return { ok: true, source: "RENEWAL", tokenId: row.tokenId, userId: row.userId, renewedFromSerial: row.source.slice(RENEWAL_SOURCE_PREFIX.length) };
}

/** Checks a request's challengePassword against the profile; one-time challenges are consumed. */
export async function verifyChallenge(profile: ScepProfile, challenge: string | null): Promise<ChallengeVerdict> {
  if (!challenge) return { ok: false, reason: "scep_bad_challenge", detail: "the request carries no challenge password" };
  if (challenge.length > 8192) return { ok: false, reason: "scep_bad_challenge", detail: "the challenge password is implausibly long" };
  const renewal = await verifyRenewal(profile, challenge);
  if (renewal) return renewal;
  switch (profile.challengeType) {
    case "STATIC": {
      const expected = unsealStaticChallenge(profile);
      if (expected && safeEqual(expected, challenge)) return { ok: true, source: "STATIC", tokenId: null, userId: null };
      return { ok: false, reason: "scep_bad_challenge", detail: "the challenge password does not match the SCEP profile's static challenge" };
    }
    case "DYNAMIC":
    case "NDES":
      return verifyOneTime(profile, challenge);
    case "TOKEN":
      return verifyToken(profile, challenge);
  }
  return { ok: false, reason: "scep_bad_challenge", detail: "unknown challenge type" };
}

/**
 * The enrollment a challenge belongs to, without consuming it (the subject template may
 * need the user before the challenge is spent).
 */
export async function peekChallengeContext(profile: ScepProfile, challenge: string | null): Promise<{ tokenId: string | null; userId: string | null; renewedFromSerial?: string | null }> {
  if (!challenge || challenge.length > 8192) return { tokenId: null, userId: null };
  const renewal = await db().scepChallenge.findUnique({ where: { hash: sha256Hex(challenge) }, select: { profileId: true, tokenId: true, userId: true, source: true } });
  if (renewal && renewal.profileId === profile.id && renewal.source.startsWith(RENEWAL_SOURCE_PREFIX)) {
    return { tokenId: renewal.tokenId, userId: renewal.userId, renewedFromSerial: renewal.source.slice(RENEWAL_SOURCE_PREFIX.length) };
  }
  if (profile.challengeType === "DYNAMIC" || profile.challengeType === "NDES" || profile.challengeType === "TOKEN") {
    const row = await db().scepChallenge.findUnique({ where: { hash: sha256Hex(challenge) }, select: { profileId: true, tokenId: true, userId: true } });
    if (row && row.profileId === profile.id) return { tokenId: row.tokenId, userId: row.userId };
  }
  return { tokenId: null, userId: null };
}
