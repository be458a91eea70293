// Pushing again: a device with live commands that has not checked in since its last push is
// pushed again on a backoff schedule (5 min, 1 h, then daily by default), and every enrolled
// device not heard from for a day gets a keep-alive push, so a lost push never strands
// queued work and the inventory's "last check-in" stays meaningful. The clock is a parameter
// (tests step it); the scheduler calls runPushJobs every minute. Idempotent: a second
// instance running it at the same moment finds the devices just pushed and skips them.
import { config } from "../config";
import { db } from "../db/client";
import { log } from "../log/logger";
import { canPush, pushDevices, type PushOutcome } from "./push";

/**
 * Commands the device still has to fetch or answer. Not NOT_NOW: a device that answered
 * NotNow polls again by itself when it can (Apple), pushing it meanwhile does nothing.
 */
const LIVE = ["QUEUED", "SENT"] as const;
/** Per run; the rest follows a minute later. */
const BATCH_LIMIT = 2000;

export interface PushSchedule {
  /** Waits after the 1st, 2nd, … unanswered push; the last one repeats. Empty: no re-push. */
  retryScheduleMs: number[];
  /** Keep-alive interval; null: none. */
  keepAliveMs: number | null;
}

export function configuredSchedule(): PushSchedule {
  const c = config();
  return { retryScheduleMs: c.pushRetryScheduleMs, keepAliveMs: c.pushKeepAliveMs };
}

interface Candidate {
  id: string;
  lastSeenAt: Date | null;
  lastPushedAt: Date | null;
  pushesUnanswered: number;
}

/** When a device with live commands is due another push. */
export function rePushDueAt(d: Candidate, schedule: number[]): Date | null {
  if (!schedule.length) return null;
  if (d.pushesUnanswered <= 0) {
    // Answered its last push (or never pushed: queued before a certificate existed): due once
    // it has been silent for the first interval since it last talked to us or was pushed.
    const last = Math.max(d.lastSeenAt?.getTime() ?? 0, d.lastPushedAt?.getTime() ?? 0);
    return new Date(last + schedule[0]);
  }
  const step = Math.min(d.pushesUnanswered, schedule.length) - 1;
  return new Date((d.lastPushedAt?.getTime() ?? 0) + schedule[step]);
}

/** Enrolled (TokenUpdate done) or managed, with a live token. */
const reachable = { status: { in: ["ENROLLED" as const, "MANAGED" as const] }, pushToken: { not: null }, pushUnreachableAt: null };
const fields = { id: true, lastSeenAt: true, lastPushedAt: true, pushesUnanswered: true } as const;

/** Devices with live commands whose next re-push is due at `now`. */
export async function dueRePushes(now: Date, schedule: number[]): Promise<string[]> {
  if (!schedule.length) return [];
  const rows = await db().device.findMany({
    where: { ...reachable, commands: { some: { status: { in: [...LIVE] } } } },
    select: fields,
    orderBy: { lastPushedAt: "asc" },
    take: BATCH_LIMIT,
  });
  return rows
    .filter((d) => {
      const due = rePushDueAt(d, schedule);
      return due !== null && due <= now;
    })
    .map((d) => d.id);
}

/** Enrolled devices neither heard from nor pushed within the keep-alive interval. */
export async function dueKeepAlives(now: Date, intervalMs: number | null): Promise<string[]> {
  if (!intervalMs) return [];
  const before = new Date(now.getTime() - intervalMs);
  const rows = await db().device.findMany({
    where: {
      ...reachable,
      AND: [{ OR: [{ lastSeenAt: null }, { lastSeenAt: { lte: before } }] }, { OR: [{ lastPushedAt: null }, { lastPushedAt: { lte: before } }] }],
    },
    select: { id: true },
    orderBy: { lastSeenAt: "asc" },
    take: BATCH_LIMIT,
  });
  return rows.map((d) => d.id);
}

export interface PushJobResult {
  rePushed: PushOutcome[];
  keptAlive: PushOutcome[];
}

/** One run: re-pushes first, then keep-alives for devices not already pushed in this run. */
export async function runPushJobs(now: Date = new Date(), schedule: PushSchedule = configuredSchedule()): Promise<PushJobResult> {
  // Without a certificate every push would be skipped: do not look for due devices each minute.
  if (!(await canPush())) return { rePushed: [], keptAlive: [] };
  const retry = await dueRePushes(now, schedule.retryScheduleMs);
  const rePushed = retry.length ? await pushDevices(retry, { now }) : [];
  const done = new Set(retry);
  const keep = (await dueKeepAlives(now, schedule.keepAliveMs)).filter((id) => !done.has(id));
  const keptAlive = keep.length ? await pushDevices(keep, { now }) : [];
  if (rePushed.length || keptAlive.length) {
    log.info("push jobs", { rePushed: rePushed.filter((o) => o.sent).length, keptAlive: keptAlive.filter((o) => o.sent).length, failed: [...rePushed, ...keptAlive].filter((o) => !o.sent).length });
  }
  return { rePushed, keptAlive };
}
