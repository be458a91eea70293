// The dashboard's figures: devices by status, enrollments per day, recent errors with fixes.
import { db, dbKind } from "../db/client";
import { reasonInfo, type ReasonInfo } from "../log/reasons";
import { reEnrollmentCounts, recentReEnrollments, type RecentReEnrollment } from "../mdm/reenrollment";
import type { DeviceStatus } from "./devices";

export interface DayCount {
  /** YYYY-MM-DD (UTC). */
  day: string;
  count: number;
}

export interface RecentError {
  id: string;
  time: Date;
  step: string;
  reason: string | null;
  info: ReasonInfo | null;
  message: string;
  deviceIdentifier: string | null;
  tokenId: string | null;
}

export interface DashboardStats {
  total: number;
  byStatus: Record<DeviceStatus, number>;
  enrollmentsPerDay: DayCount[];
  errorsLast24h: number;
  recentErrors: RecentError[];
  groups: number;
  activeTokens: number;
  scepProfiles: number;
  /** Re-enrollments of known devices: applied in the last 7 days, waiting for an admin, and the latest. */
  reEnrollments: { applied7d: number; pending: number; recent: RecentReEnrollment[] };
}

const DAY = 24 * 60 * 60 * 1000;

function dayKey(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Enrollments (devices by enrolledAt) per UTC day for the last `days` days, oldest first, zero-filled. */
export async function enrollmentsPerDay(days = 14, now = new Date()): Promise<DayCount[]> {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (days - 1) * DAY);
  // Grouped in SQL so 100k recent enrollments are counted, not transferred. DateTime is
  // ISO text in SQLite and timestamp(3) (UTC) in PostgreSQL.
  const rows =
    dbKind() === "postgres"
      ? await db().$queryRawUnsafe<{ day: string; n: bigint | number }[]>(
          `SELECT to_char("enrolledAt", 'YYYY-MM-DD') AS day, COUNT(*) AS n FROM "Device" WHERE "enrolledAt" >= $1::timestamp GROUP BY 1`,
          start.toISOString(),
        )
      : await db().$queryRawUnsafe<{ day: string; n: bigint | number }[]>(`SELECT substr(enrolledAt, 1, 10) AS day, COUNT(*) AS n FROM Device WHERE enrolledAt >= ? GROUP BY 1`, dayKey(start));
  const counts = new Map<string, number>();
  for (let i = 0; i < days; i++) counts.set(dayKey(new Date(start.getTime() + i * DAY)), 0);
  for (const r of rows) if (counts.has(r.day)) counts.set(r.day, Number(r.n));
  return [...counts].map(([day, count]) => ({ day, count }));
}

export async function dashboardStats(now = new Date()): Promise<DashboardStats> {
  const [statusRows, perDay, errorsLast24h, recent, groups, activeTokens, scepProfiles, reCounts, reRecent] = await Promise.all([
    db().device.groupBy({ by: ["status"], _count: { _all: true } }),
    enrollmentsPerDay(14, now),
    // Repeated failures are one line with a count (lib/log/enrollmentLog.ts): sum the counts.
    db().enrollmentLog.aggregate({ where: { outcome: "ERROR", time: { gte: new Date(now.getTime() - DAY) } }, _sum: { count: true } }),
    db().enrollmentLog.findMany({ where: { outcome: "ERROR" }, orderBy: [{ time: "desc" }, { id: "desc" }], take: 6 }),
    db().deviceGroup.count(),
    db().enrollmentToken.count({ where: { revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] } }),
    db().scepProfile.count(),
    reEnrollmentCounts(new Date(now.getTime() - 7 * DAY)),
    recentReEnrollments(5),
  ]);
  const byStatus: Record<DeviceStatus, number> = { PENDING: 0, ENROLLED: 0, MANAGED: 0, UNENROLLED: 0 };
  for (const r of statusRows) byStatus[r.status as DeviceStatus] = r._count._all;
  return {
    total: Object.values(byStatus).reduce((a, b) => a + b, 0),
    byStatus,
    enrollmentsPerDay: perDay,
    errorsLast24h: errorsLast24h._sum.count ?? 0,
    recentErrors: recent.map((l) => ({
      id: l.id,
      time: l.time,
      step: l.step,
      reason: l.reason,
      info: reasonInfo(l.reason),
      message: l.message,
      deviceIdentifier: l.deviceIdentifier,
      tokenId: l.tokenId,
    })),
    groups,
    activeTokens,
    scepProfiles,
    reEnrollments: { applied7d: reCounts.applied, pending: reCounts.pending, recent: reRecent },
  };
}

/** Counts for the Enrollment overview page. */
export async function enrollmentOverview(now = new Date()): Promise<{ activeTokens: number; enabledRoutes: number; scepProfiles: number }> {
  const [activeTokens, enabledRoutes, scepProfiles] = await Promise.all([
    db().enrollmentToken.count({ where: { revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] } }),
    db().addeRoute.count({ where: { enabled: true } }),
    db().scepProfile.count(),
  ]);
  return { activeTokens, enabledRoutes, scepProfiles };
}
