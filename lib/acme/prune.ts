// Keeps the ACME tables small: expired nonces, and orders that never became valid (with their
// authorizations) a day after they expired. Valid orders stay: they link certificates to
// what Apple attested.
import { db } from "../db/client";

const KEEP_FAILED_MS = 24 * 3600_000;

export async function pruneAcme(now = new Date()): Promise<{ nonces: number; orders: number }> {
  const nonces = (await db().acmeNonce.deleteMany({ where: { expiresAt: { lt: now } } })).count;
  const stale = await db().acmeOrder.findMany({ where: { status: { not: "valid" }, expires: { lt: new Date(now.getTime() - KEEP_FAILED_MS) } }, select: { id: true }, take: 5000 });
  const ids = stale.map((o) => o.id);
  if (ids.length) {
    await db().acmeAuthorization.deleteMany({ where: { orderId: { in: ids } } });
    await db().acmeOrder.deleteMany({ where: { id: { in: ids } } });
  }
  return { nonces, orders: ids.length };
}
