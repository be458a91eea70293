// Replay-Nonce (RFC 8555 §6.5). A nonce is a timestamp and random bytes with an HMAC under a
// key derived from MDM_SECRET, so handing one out writes nothing (an unauthenticated client
// cannot fill the database) and every worker and instance recognises it. Using one inserts it
// into AcmeNonce, whose primary key lets exactly one request use it, on any instance.
import crypto from "node:crypto";
import { db } from "../db/client";
import { deriveKey } from "../secrets/masterKey";

export const NONCE_LIFETIME_MS = 60 * 60_000;
/** Clocks of instances may differ a little. */
const CLOCK_SKEW_MS = 60_000;
const TS = 8;
const RANDOM = 12;
const MAC = 16;

function mac(body: Buffer): Buffer {
  return crypto.createHmac("sha256", deriveKey("acme-nonce")).update(body).digest().subarray(0, MAC);
}

export async function newNonce(now = new Date()): Promise<string> {
  const body = Buffer.alloc(TS + RANDOM);
  body.writeBigUInt64BE(BigInt(now.getTime()), 0);
  crypto.randomFillSync(body, TS, RANDOM);
  return Buffer.concat([body, mac(body)]).toString("base64url");
}

/** True exactly once per nonce we issued within its lifetime: the first use records it, a replay finds the record. */
export async function consumeNonce(value: unknown, now = new Date()): Promise<boolean> {
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]{48}$/.test(value)) return false;
  const raw = Buffer.from(value, "base64url");
  if (raw.length !== TS + RANDOM + MAC) return false;
  const body = raw.subarray(0, TS + RANDOM);
  if (!crypto.timingSafeEqual(mac(body), raw.subarray(TS + RANDOM))) return false;
  const issued = Number(body.readBigUInt64BE(0));
  if (issued > now.getTime() + CLOCK_SKEW_MS || issued < now.getTime() - NONCE_LIFETIME_MS) return false;
  try {
    await db().acmeNonce.create({ data: { value, expiresAt: new Date(issued + NONCE_LIFETIME_MS + CLOCK_SKEW_MS) } });
    return true;
  } catch (err) {
    // The primary key is taken: this nonce was used before. Anything else (the database is down) is not the client's fault.
    if ((err as { code?: unknown }).code === "P2002") return false;
    throw err;
  }
}
