// Replay-Nonce (RFC 8555 §6.5): random values kept in the database until used or expired,
// so a nonce from one worker or instance is accepted once by any other and never twice.
import crypto from "node:crypto";
import { db } from "../db/client";

const LIFETIME_MS = 60 * 60_000;

export async function newNonce(now = new Date()): Promise<string> {
  const value = crypto.randomBytes(18).toString("base64url");
  await db().acmeNonce.create({ data: { value, expiresAt: new Date(now.getTime() + LIFETIME_MS) } });
  // Unused nonces pile up (clients fetch one and go away): sweep now and then, off the hot path's result.
  if (Math.random() < 0.02) await db().acmeNonce.deleteMany({ where: { expiresAt: { lt: now } } }).catch(() => undefined);
  return value;
}

/** True exactly once per issued, unexpired nonce: the row is deleted by the call that accepts it. */
export async function consumeNonce(value: unknown, now = new Date()): Promise<boolean> {
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(value)) return false;
  const { count } = await db().acmeNonce.deleteMany({ where: { value, expiresAt: { gt: now } } });
  return count === 1;
}
