// Retention of the enrollment log: failure and warning lines, and the aggregated lines of
// requests anyone may send, older than LOG_RETENTION are deleted by the scheduled jobs
// (lib/jobs); the other successes are the enrollment history and stay.
// Deleted in batches so a large backlog never holds the database's write lock for long.
import { config } from "../config";
import { db } from "../db/client";

const BATCH = 5_000;

/** Deletes expired failure lines; returns how many. Idempotent, so several instances may run it at once. */
export async function pruneEnrollmentLog(now = new Date(), retentionMs = config().logRetentionMs): Promise<number> {
  if (retentionMs === null) return 0;
  const where = { time: { lt: new Date(now.getTime() - retentionMs) }, OR: [{ outcome: { in: ["ERROR" as const, "WARNING" as const] } }, { aggregateKey: { not: null } }] };
  let deleted = 0;
  for (;;) {
    const ids = (await db().enrollmentLog.findMany({ where, select: { id: true }, take: BATCH })).map((r) => r.id);
    if (ids.length === 0) return deleted;
    deleted += (await db().enrollmentLog.deleteMany({ where: { id: { in: ids } } })).count;
    if (ids.length < BATCH) return deleted;
  }
}
