// Waking devices: after commands are queued, send each device its MDM push. Devices do not
// poll: without a push they never fetch what was queued. Credentials come from settings (the
// APNs certificate, private key sealed); without them pushes are skipped. Transient failures
// are retried at once with backoff and end up in the enrollment log as push_failed; every
// push is recorded on the device (when, APNs' answer), and Unregistered/BadDeviceToken mark
// it unreachable until its next TokenUpdate. Re-pushes and keep-alive pushes: rePush.ts.
import { announceToPeers, onPeerAnnouncement } from "../cluster/peers";
import { config } from "../config";
import { db } from "../db/client";
import { log } from "../log/logger";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { type ApnsAuth, loadApnsCredentials, storeApnsCredentials } from "../settings/apnsCredentials";
import { ApnsClient, type PushResult, type PushSender } from "./apns";

/** Stores APNs credentials and starts using them. The portal's push settings call this. */
export async function saveApnsCredentials(auth: ApnsAuth): Promise<void> {
  await storeApnsCredentials(auth);
  await resetPushSender();
  announceToPeers("apns-credentials");
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

// Another worker of the cluster saved new credentials: drop this worker's client too.
onPeerAnnouncement("apns-credentials", () => void resetPushSender());

async function currentSender(): Promise<PushSender | null> {
  if (sender) return sender;
  const auth = await loadApnsCredentials();
  if (!auth) return null;
  sender = new ApnsClient({ baseUrl: config().apnsBaseUrl, auth });
  return sender;
}

/** Whether pushes can go out at all (a certificate is installed, or a test sender is set). */
export async function canPush(): Promise<boolean> {
  return (await currentSender().catch(() => null)) !== null;
}

export interface PushOutcome {
  deviceId: string;
  sent: boolean;
  skipped?: "no_credentials" | "no_push_token" | "no_device" | "unreachable";
  attempts: number;
  last?: PushResult;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** APNs' answers meaning the token is dead: the device was erased, unenrolled or its token is not for this topic. */
export function isUnreachableAnswer(r: PushResult): boolean {
  return r.status === 410 || r.reason === "Unregistered" || r.reason === "BadDeviceToken";
}

/** One line for the device page: "200 OK", "410 Unregistered", "no answer: timeout". */
function answerText(r: PushResult): string {
  const text = r.ok ? `${r.status} OK` : r.status ? `${r.status} ${r.reason ?? ""}`.trim() : `no answer: ${r.reason ?? "unknown error"}`;
  return text.slice(0, 200);
}

/** Pushes one device, retrying transient failures with exponential backoff; records the answer. */
export async function pushDevice(deviceId: string, retry: RetryPolicy = DEFAULT_RETRY, now: Date = new Date()): Promise<PushOutcome> {
  const device = await db().device.findUnique({
    where: { id: deviceId },
    select: { identifier: true, pushToken: true, pushMagic: true, topic: true, status: true, pushUnreachableAt: true },
  });
  if (!device) return { deviceId, sent: false, skipped: "no_device", attempts: 0 };
  if (!device.pushToken || !device.pushMagic || !device.topic || device.status === "UNENROLLED") return { deviceId, sent: false, skipped: "no_push_token", attempts: 0 };
  // APNs asks providers to stop pushing dead tokens; the next TokenUpdate clears this.
  if (device.pushUnreachableAt) return { deviceId, sent: false, skipped: "unreachable", attempts: 0 };
  const s = await currentSender();
  if (!s) {
    log.debug("push skipped: no APNs credentials", { device: device.identifier });
    return { deviceId, sent: false, skipped: "no_credentials", attempts: 0 };
  }
  let last: PushResult | undefined;
  let attempts = 0;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    attempts = attempt;
    last = await s.send({ deviceToken: device.pushToken, pushMagic: device.pushMagic, topic: device.topic });
    if (last.ok) break;
    log.warn("push attempt failed", { device: device.identifier, attempt, status: last.status, reason: last.reason });
    if (!last.retryable || attempt === retry.attempts) break;
    await sleep(retry.baseDelayMs * 2 ** (attempt - 1));
  }
  const result = last as PushResult;
  const unreachable = !result.ok && isUnreachableAnswer(result);
  // Counts until the device polls for commands (connect.ts resets it): the re-push backoff step.
  await db().device.update({
    where: { id: deviceId },
    data: { lastPushedAt: now, lastPushResult: answerText(result), pushesUnanswered: { increment: 1 }, ...(unreachable ? { pushUnreachableAt: now } : {}) },
  });
  if (result.ok) return { deviceId, sent: true, attempts, last: result };
  await writeEnrollmentLog({
    step: "push",
    outcome: "ERROR",
    reason: unreachable ? "push_unreachable" : "push_failed",
    message: `APNs push failed after ${attempts} attempt(s): ${result.status ? `HTTP ${result.status} ` : ""}${result.reason ?? "unknown error"}${unreachable ? "; the device is marked unreachable until it sends a new push token" : ""}`,
    deviceIdentifier: device.identifier,
  });
  return { deviceId, sent: false, attempts, last: result };
}

/** Default number of pushes in flight at once on the one HTTP/2 connection (APNs allows far more streams). */
const BATCH_CONCURRENCY = 50;

/** Pushes many devices over the shared HTTP/2 connection, a bounded number at a time. */
export async function pushDevices(deviceIds: string[], opts: { now?: Date; retry?: RetryPolicy; concurrency?: number } = {}): Promise<PushOutcome[]> {
  const ids = [...new Set(deviceIds)];
  const out: PushOutcome[] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      out[i] = await pushDevice(ids[i], opts.retry, opts.now).catch((err: unknown) => {
        log.error("push crashed", { err });
        return { deviceId: ids[i], sent: false, attempts: 0 };
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? BATCH_CONCURRENCY, ids.length) }, worker));
  return out;
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
