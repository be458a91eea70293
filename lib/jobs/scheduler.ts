// Periodic server-side jobs, started from instrumentation.ts in one worker per cluster.
// Several instances on one database each start them; each run first claims its time slot in
// the shared RateCounter table, so one instance runs each slot and the others skip it. The
// jobs stay idempotent all the same (a claim outlives a run that dies half-way).
import { pruneAcme } from "../acme/prune";
import { claimOnce, pruneCounters } from "../http/failureLimiter";
import { log } from "../log/logger";
import { pruneEnrollmentLog } from "../log/retention";
import { pruneAdminSessions } from "../auth/adminSessions";
import { queueIdentityRenewals } from "../mdm/identityRenewal";
import { runCertificatePolicyChecks } from "../mdm/certificateRedistribution";
import { runPushJobs } from "../mdm/rePush";
import { refreshCrl } from "../pki/crl";
import { getOcspResponder } from "../pki/ocspResponder";

export const IDENTITY_RENEWAL_EVERY_MS = 60 * 60 * 1000;
/** Re-push and keep-alive checks: the shortest backoff step is minutes, so check every minute. */
export const PUSH_JOBS_EVERY_MS = 60 * 1000;
/** First run shortly after start, not during it (the database may still be migrating). */
const FIRST_RUN_DELAY_MS = 60 * 1000;

// On globalThis, not module state: Next may load this module more than once per process.
const STARTED = Symbol.for("openenroll.jobs.started");
type JobGlobal = typeof globalThis & { [STARTED]?: boolean };

let running = false;

export async function runIdentityRenewals(): Promise<void> {
  if (running) return; // a slow run is never overlapped by the next tick
  running = true;
  try {
    const r = await queueIdentityRenewals();
    if (r.queued.length || r.failed.length) log.info("identity renewals", { queued: r.queued.length, failed: r.failed.length, skipped: r.skipped.length });
  } catch (err) {
    log.error("identity renewal job failed", { err });
  } finally {
    running = false;
  }
}

/**
 * Revocation publishing: a CRL a day old is rebuilt (it is valid a week), and the OCSP
 * responder certificate is rotated before it expires even when nobody asks.
 */
export async function runRevocationPublishing(): Promise<void> {
  await refreshCrl();
  try {
    await getOcspResponder();
  } catch (err) {
    log.error("OCSP responder rotation failed", { err });
  }
}

/** Certificate policies: CertificateList from their devices, and redistribution before expiry. */
export async function runCertificatePolicies(): Promise<void> {
  try {
    const r = await runCertificatePolicyChecks();
    if (r.redistributed) log.info("certificate redistribution", r);
  } catch (err) {
    log.error("certificate policy job failed", { err });
  }
}

let pushing = false;

export async function runPushJobsOnce(): Promise<void> {
  if (pushing) return; // a slow batch is never overlapped by the next tick
  pushing = true;
  try {
    await runPushJobs();
  } catch (err) {
    log.error("push job failed", { err });
  } finally {
    pushing = false;
  }
}

/** Enrollment-log retention (LOG_RETENTION): expired failure lines are deleted; so are expired portal sessions. */
export async function runLogRetention(): Promise<void> {
  try {
    const deleted = await pruneEnrollmentLog();
    if (deleted) log.info("enrollment log pruned", { deleted });
    await pruneAdminSessions();
  } catch (err) {
    log.error("enrollment log retention failed", { err });
  }
}

/** ACME: expired nonce records and failed orders. */
export async function runAcmePruning(): Promise<void> {
  try {
    await pruneAcme();
  } catch (err) {
    log.error("ACME pruning failed", { err });
  }
}

/**
 * Runs `job` unless another instance already claimed this slot of `everyMs` (slots are
 * aligned to the clock, so every instance names the same one). Returns whether it ran.
 */
export async function runClaimed(name: string, everyMs: number, job: () => Promise<void>, now = Date.now()): Promise<boolean> {
  const slot = Math.floor(now / everyMs);
  let claimed: boolean;
  try {
    claimed = await claimOnce(`job:${name}:${slot}`, 2 * everyMs, now);
  } catch (err) {
    log.error("scheduled job could not claim its slot", { job: name, err });
    return false;
  }
  if (!claimed) {
    log.info("scheduled job skipped: another instance runs this slot", { job: name, slot });
    return false;
  }
  log.info("scheduled job running", { job: name, slot });
  await job();
  return true;
}

async function runMinuteJobs(): Promise<void> {
  await runPushJobsOnce();
  try {
    await pruneCounters();
  } catch (err) {
    log.error("counter pruning failed", { err });
  }
}

async function runHourlyJobs(): Promise<void> {
  await runLogRetention();
  await runRevocationPublishing();
  await runIdentityRenewals();
  await runCertificatePolicies();
  await runAcmePruning();
}

/** Starts the hourly jobs and the minute push check; a second call in the same process does nothing. Returns whether it started them. */
export function startJobs(): boolean {
  const g = globalThis as JobGlobal;
  if (g[STARTED]) return false;
  g[STARTED] = true;
  const hourly = () => void runClaimed("hourly", IDENTITY_RENEWAL_EVERY_MS, runHourlyJobs);
  setTimeout(hourly, FIRST_RUN_DELAY_MS).unref();
  setInterval(hourly, IDENTITY_RENEWAL_EVERY_MS).unref();
  setInterval(() => void runClaimed("minute", PUSH_JOBS_EVERY_MS, runMinuteJobs), PUSH_JOBS_EVERY_MS).unref();
  return true;
}
