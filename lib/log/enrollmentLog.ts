// The enrollment log: one line per enrollment step, with the exact reason for every
// failure. Written to the database (the portal's Enrollment Log) and the process log.
//
// Failures and warnings are aggregated so that unauthenticated traffic cannot flood the
// table: within one window (LOG_AGGREGATE_WINDOW, fixed buckets) every failure with the same
// step, outcome, reason, source address, target (token, device, user) and message is one line
// with a count and first/last seen. The first such failure a worker sees writes (or joins) its line
// at once; repeats only bump a counter in memory, written every few seconds and at shutdown,
// so a flood costs one map lookup per request. A window holds at most LOG_MAX_KEYS_PER_WINDOW
// such lines, at most LOG_MAX_KEYS_PER_ADDRESS of them per address; further failures are counted on one
// overflow line per window. Successes (OK) are written one by one, except those answering
// requests anyone may send (`unauthenticated`: discovery, GetCACaps, an enroll page view).
import crypto from "node:crypto";
import { config } from "../config";
import { db, isUniqueViolation } from "../db/client";
import { onShutdown } from "../cluster/shutdown";
import { log, redactSecrets } from "./logger";
import type { ReasonCode } from "./reasons";

export type Outcome = "OK" | "WARNING" | "ERROR";

export interface EnrollmentLogEntry {
  step: string;
  outcome: Outcome;
  reason?: ReasonCode | null;
  message: string;
  tokenId?: string | null;
  deviceIdentifier?: string | null;
  userIdentifier?: string | null;
  remoteAddr?: string | null;
  /** A success written for a request anyone may send (no credential checked): folded like failures so it cannot flood the log. */
  unauthenticated?: boolean;
}

/** How often counted repeats are written to their lines. */
export const FLUSH_EVERY_MS = 2_000;

function rowData(entry: EnrollmentLogEntry) {
  return {
    step: entry.step,
    outcome: entry.outcome,
    reason: entry.reason ?? null,
    message: redactSecrets(entry.message).slice(0, 2000),
    tokenId: entry.tokenId ?? null,
    deviceIdentifier: entry.deviceIdentifier ?? null,
    userIdentifier: entry.userIdentifier ?? null,
    remoteAddr: entry.remoteAddr ?? null,
  };
}

function processLog(entry: EnrollmentLogEntry): void {
  const fields = {
    step: entry.step,
    outcome: entry.outcome,
    reason: entry.reason ?? undefined,
    tokenId: entry.tokenId ?? undefined,
    device: entry.deviceIdentifier ?? undefined,
    user: entry.userIdentifier ?? undefined,
    remoteAddr: entry.remoteAddr ?? undefined,
  };
  (entry.outcome === "ERROR" ? log.warn : log.info)(`enrollment: ${entry.message}`, fields);
}

export async function writeEnrollmentLog(entry: EnrollmentLogEntry): Promise<void> {
  if (entry.outcome !== "OK" || entry.unauthenticated) return aggregate(entry);
  processLog(entry);
  try {
    const now = new Date();
    await db().enrollmentLog.create({ data: { ...rowData(entry), time: now, lastSeen: now } });
  } catch (err) {
    // The log must never turn a device's answer into a 500.
    log.error("could not write enrollment log line", { err });
  }
}

/** A failure line this worker knows of in the current window, with repeats not yet written. */
interface Counter {
  window: number;
  /** Settles once the first failure is written; then `key` names the line counted into (the overflow line's if a cap refused it). */
  ready: Promise<void>;
  key: string | null;
  pending: number;
  lastSeen: number;
}

interface WindowState {
  /** The window's cap is reached: every new failure goes to the overflow line. */
  full: boolean;
  /** Addresses that own LOG_MAX_KEYS_PER_ADDRESS lines in this window. */
  fullSources: Set<string>;
}

/** By natural key (failures) or overflow key; both carry their window. */
const counters = new Map<string, Counter>();
const windows = new Map<number, WindowState>();
/** New lines are admitted one at a time per worker, so the caps' counts are not raced from inside it. */
let admission: Promise<unknown> = Promise.resolve();
let timer: NodeJS.Timeout | null = null;

function windowOf(now: number): number {
  const size = config().logAggregateWindowMs;
  return now - (now % size);
}

function stateOf(window: number): WindowState {
  let s = windows.get(window);
  if (!s) {
    s = { full: false, fullSources: new Set() };
    windows.set(window, s);
  }
  return s;
}

/** The database key of a line: its window and a hash of what makes failures "the same" (unbounded text stays out of the index). */
function lineKey(naturalKey: string, window: number): string {
  return `${window}:${crypto.createHash("sha256").update(naturalKey).digest("base64url").slice(0, 32)}`;
}

/** admit()'s answer when a cap refuses a new line. */
const OVERFLOW = "overflow";

function overflowKey(window: number): string {
  return `${window}:overflow`;
}

function aggregate(entry: EnrollmentLogEntry): Promise<void> {
  const now = Date.now();
  const window = windowOf(now);
  const addr = entry.remoteAddr ?? "";
  const state = stateOf(window);
  const refused = state.full || state.fullSources.has(addr);
  // The message is part of "the same": distinct diagnoses stay distinct lines (the caps bound them).
  const mapKey = refused
    ? overflowKey(window)
    : JSON.stringify([
        window,
        entry.step,
        entry.outcome,
        entry.reason ?? null,
        addr,
        entry.tokenId ?? null,
        entry.deviceIdentifier ?? null,
        entry.userIdentifier ?? null,
        entry.message.slice(0, 2000),
      ]);
  const known = counters.get(mapKey);
  if (known) {
    // A repeat: only counted here (no database work on the hot path); waits only while its line is first written.
    known.pending++;
    known.lastSeen = Math.max(known.lastSeen, now);
    return known.ready;
  }
  if (refused) return firstOverflow(window, now, 0, now);
  const counter: Counter = { window, ready: Promise.resolve(), key: null, pending: 0, lastSeen: now };
  counters.set(mapKey, counter);
  startTimer();
  counter.ready = serialized(() => admit(entry, window, lineKey(mapKey, window), now)).then((key) => {
    counter.key = key;
    if (key === null) counters.delete(mapKey); // the database refused: the next failure tries again
    if (key !== OVERFLOW) return;
    // Refused by a cap: this failure and the repeats seen meanwhile go to the overflow line, later ones straight there.
    counters.delete(mapKey);
    const pending = counter.pending;
    counter.pending = 0;
    const overflow = counters.get(overflowKey(window));
    if (!overflow) return firstOverflow(window, now, pending, counter.lastSeen);
    overflow.pending += 1 + pending;
    overflow.lastSeen = Math.max(overflow.lastSeen, counter.lastSeen);
    return overflow.ready;
  });
  return counter.ready;
}

/** Starts this worker's counter of the window's overflow line: writes (or joins) the line with this failure. */
function firstOverflow(window: number, now: number, pending: number, lastSeen: number): Promise<void> {
  const key = overflowKey(window);
  const counter: Counter = { window, ready: Promise.resolve(), key: null, pending, lastSeen };
  counters.set(key, counter);
  startTimer();
  counter.ready = serialized(() => admitOverflow(window, now)).then((written) => {
    counter.key = written;
    if (written === null) counters.delete(key);
  });
  return counter.ready;
}

function serialized<T>(task: () => Promise<T>): Promise<T> {
  const run = admission.then(task, task);
  admission = run.catch(() => undefined);
  return run;
}

/**
 * Writes the first failure of its kind in this worker's window: joins the line if another
 * worker or instance already wrote it, else creates it unless a cap says overflow.
 * Returns the key of the line counted into, OVERFLOW when a cap refused it (nothing written
 * yet), or null when the database refused.
 */
async function admit(entry: EnrollmentLogEntry, window: number, key: string, now: number): Promise<string | null> {
  const state = stateOf(window);
  const addr = entry.remoteAddr ?? "";
  try {
    // A cap reached while this waited for its turn: no database work beyond the overflow line.
    if (state.full || state.fullSources.has(addr)) return OVERFLOW;
    if (await addToLine(key, 1, now)) return key;
    const at = new Date(window);
    const max = config().logMaxKeysPerWindow;
    if ((await db().enrollmentLog.count({ where: { aggregateWindow: at } })) >= max) {
      state.full = true;
      return OVERFLOW;
    }
    if ((await db().enrollmentLog.count({ where: { aggregateWindow: at, remoteAddr: entry.remoteAddr ?? null } })) >= config().logMaxKeysPerAddress) {
      state.fullSources.add(addr);
      return OVERFLOW;
    }
    processLog(entry);
    try {
      await db().enrollmentLog.create({ data: { ...rowData(entry), time: new Date(now), lastSeen: new Date(now), aggregateKey: key, aggregateWindow: at } });
    } catch (err) {
      // Another worker created it a moment ago: count this one on it.
      if (!isUniqueViolation(err) || !(await addToLine(key, 1, now))) throw err;
    }
    return key;
  } catch (err) {
    log.error("could not write enrollment log line", { err });
    return null;
  }
}

async function admitOverflow(window: number, now: number): Promise<string | null> {
  const key = overflowKey(window);
  try {
    if (await addToLine(key, 1, now)) return key;
    const entry: EnrollmentLogEntry = {
      step: "log",
      outcome: "WARNING",
      reason: "log_flood_overflow",
      message: `More distinct failures arrived in this ${Math.round(config().logAggregateWindowMs / 60_000)}-minute window than the log keeps as separate lines; the rest are counted here.`,
    };
    processLog(entry);
    try {
      // No aggregateWindow: the overflow line does not count against the window's cap.
      await db().enrollmentLog.create({ data: { ...rowData(entry), time: new Date(now), lastSeen: new Date(now), aggregateKey: key } });
    } catch (err) {
      if (!isUniqueViolation(err) || !(await addToLine(key, 1, now))) throw err;
    }
    return key;
  } catch (err) {
    log.error("could not write enrollment log line", { err });
    return null;
  }
}

/** Adds `n` to a line's count and moves its last-seen forward; false if the line does not exist. */
async function addToLine(key: string, n: number, lastSeen: number): Promise<boolean> {
  const at = new Date(lastSeen);
  const { count } = await db().enrollmentLog.updateMany({ where: { aggregateKey: key }, data: { count: { increment: n } } });
  if (count === 0) return false;
  // Never backwards: another worker may have written a later repeat.
  await db().enrollmentLog.updateMany({ where: { aggregateKey: key, OR: [{ lastSeen: null }, { lastSeen: { lt: at } }] }, data: { lastSeen: at } });
  return true;
}

let flushing: Promise<void> | null = null;

/** Writes every counted repeat to its line and forgets past windows. Tests and shutdown call it; a timer does otherwise. */
export function flushEnrollmentLog(): Promise<void> {
  flushing ??= flushOnce().finally(() => {
    flushing = null;
  });
  return flushing;
}

async function flushOnce(): Promise<void> {
  const current = windowOf(Date.now());
  for (const [mapKey, c] of [...counters]) {
    if (c.window < current) counters.delete(mapKey);
    if (c.pending === 0) continue;
    await c.ready;
    const n = c.pending;
    c.pending = 0;
    const key = c.key;
    if (!key) continue;
    try {
      if (!(await addToLine(key, n, c.lastSeen))) log.warn("enrollment log line gone before its repeats were counted", { count: n });
    } catch (err) {
      log.error("could not count repeated enrollment log lines", { err, count: n });
    }
  }
  for (const w of windows.keys()) if (w < current) windows.delete(w);
  if (counters.size === 0 && timer) {
    clearInterval(timer);
    timer = null;
  }
}

function startTimer(): void {
  if (timer) return;
  timer = setInterval(() => void flushEnrollmentLog(), FLUSH_EVERY_MS);
  timer.unref();
}

onShutdown(flushEnrollmentLog);
