// Waking devices: after commands are queued, send each device its MDM push. Credentials
// come from settings (the APNs certificate or token key, private key sealed); without
// them pushes are skipped (the device still gets its commands at its next poll). Failed
// pushes are retried with backoff and end up in the enrollment log as push_failed.
import { config } from "../config";
import { db } from "../db/client";
import { log } from "../log/logger";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { seal, unseal } from "../secrets/sealed";
import { readSetting, writeSetting } from "../settings/store";
import { ApnsClient, type ApnsAuth, type PushResult, type PushSender } from "./apns";

const CREDENTIALS_KEY = "apns.credentials";
const SEAL_CONTEXT = "apns-key";

type StoredCredentials =
  | { kind: "certificate"; certPem: string; keyEnc: string }
  | { kind: "token"; teamId: string; keyId: string; keyEnc: string };

/** Stores APNs credentials (the private key sealed). The portal's push settings call this. */
export async function saveApnsCredentials(auth: ApnsAuth): Promise<void> {
  const stored: StoredCredentials =
    auth.kind === "certificate"
      ? { kind: "certificate", certPem: auth.certPem, keyEnc: seal(auth.keyPem, SEAL_CONTEXT) }
      : { kind: "token", teamId: auth.teamId, keyId: auth.keyId, keyEnc: seal(auth.keyPem, SEAL_CONTEXT) };
  await writeSetting(CREDENTIALS_KEY, stored);
  await resetPushSender();
}

export async function loadApnsCredentials(): Promise<ApnsAuth | null> {
  const s = (await readSetting(CREDENTIALS_KEY)) as StoredCredentials | undefined;
  if (!s) return null;
  return s.kind === "certificate"
    ? { kind: "certificate", certPem: s.certPem, keyPem: unseal(s.keyEnc, SEAL_CONTEXT) }
    : { kind: "token", teamId: s.teamId, keyId: s.keyId, keyPem: unseal(s.keyEnc, SEAL_CONTEXT) };
}

let sender: PushSender | null = null;
let senderOverride = false;

/** Replaces the sender (tests: a local HTTP/2 server client or a recorder). null restores the default. */
export function setPushSender(s: PushSender | null): void {
  sender = s;
  senderOverride = s !== null;
}

async function resetPushSender(): Promise<void> {
  if (senderOverride) return;
  const old = sender;
  sender = null;
  await old?.close().catch(() => undefined);
}

async function currentSender(): Promise<PushSender | null> {
  if (sender) return sender;
  const auth = await loadApnsCredentials();
  if (!auth) return null;
  sender = new ApnsClient({ baseUrl: config().apnsBaseUrl, auth });
  return sender;
}

export interface PushOutcome {
  deviceId: string;
  sent: boolean;
  skipped?: "no_credentials" | "no_push_token" | "no_device";
  attempts: number;
  last?: PushResult;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pushes one device, retrying transient failures with exponential backoff. */
export async function pushDevice(deviceId: string, retry: RetryPolicy = DEFAULT_RETRY): Promise<PushOutcome> {
  const device = await db().device.findUnique({ where: { id: deviceId }, select: { identifier: true, pushToken: true, pushMagic: true, topic: true, status: true } });
  if (!device) return { deviceId, sent: false, skipped: "no_device", attempts: 0 };
  if (!device.pushToken || !device.pushMagic || !device.topic || device.status === "UNENROLLED") return { deviceId, sent: false, skipped: "no_push_token", attempts: 0 };
  const s = await currentSender();
  if (!s) {
    log.debug("push skipped: no APNs credentials", { device: device.identifier });
    return { deviceId, sent: false, skipped: "no_credentials", attempts: 0 };
  }
  let last: PushResult | undefined;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    last = await s.send({ deviceToken: device.pushToken, pushMagic: device.pushMagic, topic: device.topic });
    if (last.ok) return { deviceId, sent: true, attempts: attempt, last };
    log.warn("push attempt failed", { device: device.identifier, attempt, status: last.status, reason: last.reason });
    if (!last.retryable || attempt === retry.attempts) break;
    await sleep(retry.baseDelayMs * 2 ** (attempt - 1));
  }
  await writeEnrollmentLog({
    step: "push",
    outcome: "ERROR",
    reason: "push_failed",
    message: `APNs push failed after ${last?.retryable ? retry.attempts : 1} attempt(s): ${last?.status ? `HTTP ${last.status} ` : ""}${last?.reason ?? "unknown error"}`,
    deviceIdentifier: device.identifier,
  });
  return { deviceId, sent: false, attempts: last?.retryable ? retry.attempts : 1, last };
}

const inFlight = new Set<Promise<unknown>>();

/** Fire-and-forget pushes for freshly queued commands; never throws into the caller. */
export function requestPush(deviceIds: string[]): void {
  for (const id of new Set(deviceIds)) {
    const p = pushDevice(id)
      .catch((err) => log.error("push crashed", { err }))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
}

/** Resolves when every push started so far has finished (tests, graceful shutdown). */
export async function pushesSettled(): Promise<void> {
  while (inFlight.size) await Promise.allSettled([...inFlight]);
}
