// SCEP transactions (RFC 8894 §3.2.1.1 transactionID): what makes a resent PKCSReq and a
// CertPoll (GetCertInitial) answerable. A client whose response was lost resends the same
// request (same transactionID, same public key, signed by the same key) and must get the
// certificate already issued, not "challenge already used". Rows are keyed by profile,
// transactionID and what authorised the request, because some clients (micromdm scepclient)
// derive the transactionID from the key and reuse it when they renew with that key.
import crypto from "node:crypto";
import type * as pkijs from "pkijs";
import { db, isUniqueViolation } from "../db/client";
import { spkiDer } from "../pki/keys";
import type { PkiMessage } from "./message";

/** A request still being decided after this long was abandoned (crash, restart): its transaction is free again. */
export const STALE_PENDING_MS = 2 * 60_000;
/** How long a concurrent duplicate waits for the first request's outcome before answering PENDING. */
const CONCURRENT_WAIT_MS = 10_000;
const POLL_MS = 100;

export const CHALLENGE_AUTHORITY = "challenge";
export const renewalAuthority = (serial: string): string => `renewal:${serial}`;

/** SHA-256 (hex) of a SubjectPublicKeyInfo as DER. */
/** SHA-256 of a SubjectPublicKeyInfo's DER. */
export function publicKeyHash(spkiDer: Uint8Array): string {
  return crypto.createHash("sha256").update(spkiDer).digest("hex");
}

export interface TransactionKey {
  profileId: string;
  transactionId: string;
  authority: string;
}

export type TransactionStart =
  /** First time seen: decide, then complete() or abandon(). */
  | { kind: "new"; id: string }
  /** Already issued to this key: answer with that certificate again. */
  | { kind: "issued"; serial: string }
  /** The transactionID is taken by another key or signer: refuse. */
  | { kind: "conflict" }
  /** An identical request is still being decided: answer PENDING (the client polls). */
  | { kind: "pending" };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Claims the transaction for this request, or says how an earlier request with the same
 * transactionID ended. Of two identical concurrent requests one decides; the other waits for
 * its outcome (a refusal frees the transaction, so the waiter then decides for itself).
 */
export async function startTransaction(key: TransactionKey, request: { keyHash: string; signerKeyHash: string; cipherOid: string }): Promise<TransactionStart> {
  const deadline = Date.now() + CONCURRENT_WAIT_MS;
  for (;;) {
    const existing = await db().scepTransaction.findUnique({ where: { profileId_transactionId_authority: key } });
    if (existing) {
      if (existing.keyHash !== request.keyHash || existing.signerKeyHash !== request.signerKeyHash) return { kind: "conflict" };
      if (existing.serial) return { kind: "issued", serial: existing.serial };
      if (Date.now() - existing.createdAt.getTime() > STALE_PENDING_MS) {
        await db().scepTransaction.deleteMany({ where: { id: existing.id, serial: null } });
        continue;
      }
      if (Date.now() >= deadline) return { kind: "pending" };
      await sleep(POLL_MS);
      continue;
    }
    try {
      const row = await db().scepTransaction.create({ data: { ...key, ...request } });
      return { kind: "new", id: row.id };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // A concurrent identical request claimed it a moment ago: read its outcome.
    }
  }
}

export async function completeTransaction(id: string, serial: string): Promise<void> {
  await db().scepTransaction.update({ where: { id }, data: { serial } });
}

/** The request was refused: the client may try the same transaction again (e.g. with the right challenge). */
export async function abandonTransaction(id: string): Promise<void> {
  await db().scepTransaction.deleteMany({ where: { id, serial: null } });
}

/** CertPoll: the transaction as the original request left it, when this signer made it. */
export async function findTransaction(key: TransactionKey, signerKeyHash: string): Promise<{ state: "issued"; serial: string; cipherOid: string } | { state: "pending" } | null> {
  const row = await db().scepTransaction.findUnique({ where: { profileId_transactionId_authority: key } });
  if (!row || row.signerKeyHash !== signerKeyHash) return null;
  if (row.serial) return { state: "issued", serial: row.serial, cipherOid: row.cipherOid };
  return Date.now() - row.createdAt.getTime() > STALE_PENDING_MS ? null : { state: "pending" };
}

/** Retention: a client retries within minutes; a month covers any poll schedule. */
const RETENTION_DAYS = 30;

let lastSweep = 0;

/** Drops transactions past retention; at most every 10 minutes per process, not on every request. */
async function sweepExpired(now = Date.now()): Promise<void> {
  if (now - lastSweep < 600_000) return;
  lastSweep = now;
  await db().scepTransaction.deleteMany({ where: { createdAt: { lt: new Date(now - RETENTION_DAYS * 86_400_000) } } });
}

function keyFor(msg: PkiMessage, profileId: string, renewedFromSerial: string | null): TransactionKey {
  return { profileId, transactionId: msg.transactionId, authority: renewedFromSerial ? renewalAuthority(renewedFromSerial) : CHALLENGE_AUTHORITY };
}

/** PKCSReq/RenewalReq: is this a resend of a transaction we know (same key, same signer), or a new one? */
export async function retryOrStart(msg: PkiMessage, profileId: string, requestedKey: pkijs.PublicKeyInfo, cipherOid: string, renewedFromSerial: string | null): Promise<TransactionStart> {
  await sweepExpired();
  return startTransaction(keyFor(msg, profileId, renewedFromSerial), {
    keyHash: publicKeyHash(spkiDer(requestedKey)),
    signerKeyHash: publicKeyHash(msg.parsed.signer.spki),
    cipherOid,
  });
}

/** CertPoll: the transaction this signer started (with a challenge, or renewing the certificate it signs with). */
export async function pollTransaction(msg: PkiMessage, profileId: string, renewedFromSerial: string | null) {
  return findTransaction(keyFor(msg, profileId, renewedFromSerial), publicKeyHash(msg.parsed.signer.spki));
}
