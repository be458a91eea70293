// How many failures the enrollment log counted (repeats fold into one line with a count,
// lib/log/enrollmentLog.ts): written out first, then summed.
import { db, type Prisma } from "@/lib/db/client";
import { flushEnrollmentLog } from "@/lib/log/enrollmentLog";

export async function loggedCount(where: Prisma.EnrollmentLogWhereInput): Promise<number> {
  await flushEnrollmentLog();
  return (await db().enrollmentLog.aggregate({ where, _sum: { count: true } }))._sum.count ?? 0;
}

/** The line the latest failure or success was counted on: repeats keep their first line's time, so by last seen. */
export async function latestLogLine(where: Prisma.EnrollmentLogWhereInput = {}) {
  await flushEnrollmentLog();
  return db().enrollmentLog.findFirst({ where, orderBy: [{ lastSeen: { sort: "desc", nulls: "last" } }, { time: "desc" }, { id: "desc" }] });
}
