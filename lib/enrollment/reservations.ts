// Uses of an enrollment token are counted per enrolled device (seed 000: "Max Uses: limit
// on how many devices can enroll"). A download reserves a use; the device's first
// Authenticate spends it; a reservation no device enrolls from within the challenge
// lifetime is released. The token row keeps two counters:
//   useCount     uses spent (devices enrolled),
//   claimedCount uses spent plus uses held by open reservations,
// so the limit is one conditional UPDATE on claimedCount (PostgreSQL re-checks the WHERE on
// the locked row; SQLite serialises writers): N concurrent downloads of an M-use link get
// exactly M reservations. A reservation is closed (spent or released) by a conditional
// UPDATE on its row, so each one moves a counter exactly once.
//
// The browser that downloaded gets a cookie with the reservation's secret; downloading
// again within the reservation's lifetime reuses it instead of taking another use.
import crypto from "node:crypto";
import { db } from "../db/client";
import { sha256Hex } from "../secrets/hash";
import { ONE_TIME_CHALLENGE_MINUTES } from "../scep/challenge";
import { consumeEnrollmentUse } from "./tokens";

/** A reservation lives as long as the one-time challenge issued with it. */
export const RESERVATION_MINUTES = ONE_TIME_CHALLENGE_MINUTES;
/** Closed reservations are kept this long (the device page shows the terms accepted with one), then pruned. */
const CLOSED_RETENTION_DAYS = 30;

export const RESERVATION_COOKIE_PREFIX = "oe_dl_";

/** The cookie that binds a browser to its reservation of one token. */
export function reservationCookieName(tokenId: string): string {
  return `${RESERVATION_COOKIE_PREFIX}${tokenId.replace(/[^A-Za-z0-9_-]/g, "")}`;
}

export interface TermsAcceptanceInput {
  termsHash: string;
  acceptedBy: string;
}

export interface ReserveInput {
  now?: Date;
  /** The secret from the browser's cookie, if it sent one. */
  secret?: string | null;
  terms?: TermsAcceptanceInput | null;
  remoteAddr?: string | null;
}

export type Reservation = { ok: true; reservationId: string; secret: string; expiresAt: Date; reused: boolean } | { ok: false };

async function reuse(tokenId: string, secret: string, input: ReserveInput, now: Date): Promise<Reservation | null> {
  if (secret.length < 20 || secret.length > 100) return null;
  const row = await db().enrollmentReservation.findUnique({ where: { secretHash: sha256Hex(secret) } });
  if (!row || row.tokenId !== tokenId || row.spentAt || row.releasedAt || row.expiresAt.getTime() <= now.getTime()) return null;
  if (input.terms) {
    await db().enrollmentReservation.updateMany({
      where: { id: row.id, spentAt: null, releasedAt: null },
      data: { termsHash: input.terms.termsHash, acceptedBy: input.terms.acceptedBy, termsAcceptedAt: now },
    });
  }
  return { ok: true, reservationId: row.id, secret, expiresAt: row.expiresAt, reused: true };
}

/** The client or the transaction a counter move runs in. */
type Tx = Parameters<Parameters<ReturnType<typeof db>["$transaction"]>[0]>[0];

async function claim(tx: Tx, tokenId: string, now: Date): Promise<boolean> {
  const t = tx.enrollmentToken;
  const { count } = await t.updateMany({
    where: {
      id: tokenId,
      revokedAt: null,
      AND: [{ OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] }, { OR: [{ maxUses: 0 }, { claimedCount: { lt: t.fields.maxUses } }] }],
    },
    data: { claimedCount: { increment: 1 } },
  });
  return count === 1;
}

/**
 * Holds one use of the token for a download: the browser's own open reservation if its
 * cookie names one, else a new one if a use is free (expired reservations are released
 * first). `ok: false` when every use is spent or held, or the token is revoked or expired.
 */
export async function reserveEnrollmentUse(tokenId: string, input: ReserveInput = {}): Promise<Reservation> {
  const now = input.now ?? new Date();
  if (input.secret) {
    const again = await reuse(tokenId, input.secret, input, now);
    if (again) return again;
  }
  // Expired reservations go first (also for unlimited tokens, whose rows would otherwise pile up).
  await releaseExpiredReservations(tokenId, now);
  const secret = crypto.randomBytes(24).toString("base64url");
  const expiresAt = new Date(now.getTime() + RESERVATION_MINUTES * 60_000);
  // The claim and its row commit together: a crash between them must not hold a use forever.
  const row = await db().$transaction(async (tx) => {
    if (!(await claim(tx, tokenId, now))) return null;
    return tx.enrollmentReservation.create({
      data: {
        tokenId,
        secretHash: sha256Hex(secret),
        expiresAt,
        remoteAddr: input.remoteAddr ?? null,
        ...(input.terms ? { termsHash: input.terms.termsHash, acceptedBy: input.terms.acceptedBy, termsAcceptedAt: now } : {}),
      },
    });
  });
  if (!row) return { ok: false };
  return { ok: true, reservationId: row.id, secret, expiresAt, reused: false };
}

/** Closes an open reservation without a device (expired, or the download failed); gives its use back. */
export async function releaseReservation(reservationId: string, now: Date = new Date()): Promise<boolean> {
  const r = db().enrollmentReservation;
  const row = await r.findUnique({ where: { id: reservationId }, select: { tokenId: true } });
  if (!row) return false;
  // Closing the row and giving its use back commit together (a crash between would lose the use).
  return db().$transaction(async (tx) => {
    const { count } = await tx.enrollmentReservation.updateMany({ where: { id: reservationId, spentAt: null, releasedAt: null }, data: { releasedAt: now } });
    if (count !== 1) return false;
    await tx.enrollmentToken.updateMany({ where: { id: row.tokenId, claimedCount: { gt: 0 } }, data: { claimedCount: { decrement: 1 } } });
    return true;
  });
}

/** Releases the token's reservations whose lifetime passed with no device enrolled; returns how many. */
export async function releaseExpiredReservations(tokenId: string, now: Date = new Date()): Promise<number> {
  const r = db().enrollmentReservation;
  const expired = await r.findMany({ where: { tokenId, spentAt: null, releasedAt: null, expiresAt: { lte: now } }, select: { id: true }, take: 1000 });
  let released = 0;
  for (const { id } of expired) if (await releaseReservation(id, now)) released++;
  await r.deleteMany({
    where: { tokenId, OR: [{ spentAt: { lt: new Date(now.getTime() - CLOSED_RETENTION_DAYS * 86_400_000) } }, { releasedAt: { lt: new Date(now.getTime() - CLOSED_RETENTION_DAYS * 86_400_000) } }] },
  });
  return released;
}

export interface SpentUse {
  /** The reservation the device enrolled from (null: no open one; a free use was taken). */
  reservationId: string | null;
  terms: { termsHash: string; acceptedBy: string | null; acceptedAt: Date } | null;
}

/**
 * A device enrolled through the token (its first Authenticate): spends the oldest open
 * reservation, or, when none is open (it expired, or the profile was copied to a second
 * device), a free use (not of a revoked or expired token). Null when none is left: the
 * enrollment is refused.
 */
export async function spendEnrollmentUse(tokenId: string, deviceRef: string, now: Date = new Date()): Promise<SpentUse | null> {
  const r = db().enrollmentReservation;
  for (let attempt = 0; attempt < 10; attempt++) {
    const open = await r.findFirst({ where: { tokenId, spentAt: null, releasedAt: null }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    if (!open) break;
    // Spending the reservation and counting the use commit together (a crash between would lose the use).
    const spent = await db().$transaction(async (tx) => {
      const { count } = await tx.enrollmentReservation.updateMany({ where: { id: open.id, spentAt: null, releasedAt: null }, data: { spentAt: now, deviceId: deviceRef } });
      if (count !== 1) return false;
      await tx.enrollmentToken.update({ where: { id: tokenId }, data: { useCount: { increment: 1 } } });
      return true;
    });
    if (!spent) continue; // a concurrent enrollment or release closed it first
    const terms = open.termsHash && open.termsAcceptedAt ? { termsHash: open.termsHash, acceptedBy: open.acceptedBy, acceptedAt: open.termsAcceptedAt } : null;
    return { reservationId: open.id, terms };
  }
  return (await consumeEnrollmentUse(tokenId, now)) ? { reservationId: null, terms: null } : null;
}
