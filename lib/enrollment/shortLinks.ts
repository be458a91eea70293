// Short enrollment links: /e/<id>, 14 characters of Crockford's base32 alphabet (70 random
// bits, unguessable; no i, l, o or u to misread from a printout). The id names a token row; the
// page behind it runs the same verification as the full JWT link, on that token's JWT.
import crypto from "node:crypto";
import { config } from "../config";
import { db } from "../db/client";

const ALPHABET32 = "0123456789abcdefghjkmnpqrstvwxyz";
export const SHORT_ID_LENGTH = 14;
const SHORT_ID_RE = /^[0-9A-Za-z]{10,16}$/;

/** A fresh id: each character takes 5 bits of a CSPRNG byte, so no modulo bias. */
export function newShortId(): string {
  const bytes = crypto.randomBytes(SHORT_ID_LENGTH);
  let id = "";
  for (const b of bytes) id += ALPHABET32[b & 31];
  return id;
}

/** Cheap shape check before any database lookup (hostile input). */
export function isShortIdShape(value: string): boolean {
  return SHORT_ID_RE.test(value);
}

export function shortEnrollmentUrl(shortId: string, publicUrl = config().publicUrl): string {
  return `${publicUrl}/e/${shortId}`;
}

/**
 * The token's short id, giving one to tokens made before short links existed. Safe under
 * concurrency: only a row still without an id is updated, then everyone reads the winner.
 */
export async function ensureShortId(tokenId: string): Promise<string | null> {
  const row = await db().enrollmentToken.findUnique({ where: { id: tokenId }, select: { shortId: true } });
  if (!row) return null;
  if (row.shortId) return row.shortId;
  await db().enrollmentToken.updateMany({ where: { id: tokenId, shortId: null }, data: { shortId: newShortId() } });
  return (await db().enrollmentToken.findUnique({ where: { id: tokenId }, select: { shortId: true } }))?.shortId ?? null;
}
