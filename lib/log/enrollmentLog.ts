// The enrollment log: one line per enrollment step, with the exact reason for every
// failure. Written to the database (the portal's Enrollment Log) and the process log.
import { db } from "../db/client";
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
}

export async function writeEnrollmentLog(entry: EnrollmentLogEntry): Promise<void> {
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
  try {
    await db().enrollmentLog.create({
      data: {
        step: entry.step,
        outcome: entry.outcome,
        reason: entry.reason ?? null,
        message: redactSecrets(entry.message).slice(0, 2000),
        tokenId: entry.tokenId ?? null,
        deviceIdentifier: entry.deviceIdentifier ?? null,
        userIdentifier: entry.userIdentifier ?? null,
        remoteAddr: entry.remoteAddr ?? null,
      },
    });
  } catch (err) {
    // The log must never turn a device's answer into a 500.
    log.error("could not write enrollment log line", { err });
  }
}
