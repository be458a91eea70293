// The per-device command queue. A command stays live (QUEUED, SENT, NOT_NOW) until the
// device answers Acknowledged, Error or CommandFormatError; then it is history. The
// "next command" query reads the (deviceId, status, createdAt) index, and history older
// than the retention window is pruned so the live table stays small (protocol-notes).
import type { Prisma } from "../db/client";
import { db } from "../db/client";
import { AppError, notFound } from "../errors";
import { ALLOWED_COMMAND_TYPES, buildCommand, isAllowedCommandType } from "./commandPayload";
import { requestPush } from "./push";

export const LIVE_STATUSES = ["QUEUED", "SENT", "NOT_NOW"] as const;
type LiveStatus = (typeof LIVE_STATUSES)[number];

let lastStamp = 0;
/** Strictly increasing timestamps within this process, so commands queued together keep their order. */
export function queueStamp(): Date {
  const now = Date.now();
  lastStamp = now > lastStamp ? now : lastStamp + 1;
  return new Date(lastStamp);
}

export interface EnqueueOptions {
  policyId?: string | null;
  /** Wake the device through APNs after queueing (default true). */
  push?: boolean;
}

export interface QueuedCommandInput {
  requestType: string;
  params?: Record<string, unknown>;
  policyId?: string | null;
}

/** Validates, stores and (by default) pushes one command. */
export async function enqueueCommand(deviceId: string, requestType: string, params?: Record<string, unknown>, opts: EnqueueOptions = {}): Promise<{ uuid: string }> {
  const [uuid] = await enqueueCommands(deviceId, [{ requestType, params, policyId: opts.policyId }], opts);
  return { uuid };
}

/** Stores several commands in order for one device, in one transaction, then pushes once. */
export async function enqueueCommands(deviceId: string, commands: QueuedCommandInput[], opts: { push?: boolean } = {}): Promise<string[]> {
  if (commands.length === 0) return [];
  const device = await db().device.findUnique({ where: { id: deviceId }, select: { id: true } });
  if (!device) throw notFound("device");
  const built = commands.map((c) => ({ c, b: buildCommand(c.requestType, c.params ?? {}) }));
  const rows: Prisma.CommandCreateManyInput[] = built.map(({ c, b }) => ({
    uuid: b.uuid,
    deviceId,
    requestType: b.requestType,
    payload: b.xml,
    policyId: c.policyId ?? null,
    createdAt: queueStamp(),
  }));
  await db().command.createMany({ data: rows });
  if (opts.push !== false) requestPush([deviceId]);
  return built.map(({ b }) => b.uuid);
}

/**
 * Queues the same commands for many devices (a policy change for a whole group): one bulk
 * insert per chunk instead of one per device, then one push per device.
 */
export async function enqueueCommandsForDevices(deviceIds: string[], commands: QueuedCommandInput[], opts: { push?: boolean } = {}): Promise<number> {
  if (deviceIds.length === 0 || commands.length === 0) return 0;
  const CHUNK = 500;
  let total = 0;
  for (let i = 0; i < deviceIds.length; i += CHUNK) {
    const rows: Prisma.CommandCreateManyInput[] = [];
    for (const deviceId of deviceIds.slice(i, i + CHUNK)) {
      for (const c of commands) {
        const b = buildCommand(c.requestType, c.params ?? {});
        rows.push({ uuid: b.uuid, deviceId, requestType: b.requestType, payload: b.xml, policyId: c.policyId ?? null, createdAt: queueStamp() });
      }
    }
    await db().command.createMany({ data: rows });
    total += rows.length;
  }
  if (opts.push !== false) requestPush(deviceIds);
  return total;
}

export interface NextCommand {
  uuid: string;
  requestType: string;
  /** The command plist (XML) exactly as stored. */
  payload: string;
}

/**
 * The oldest live command for the device, marked SENT. After a NotNow answer the device
 * should get other work first, so `skipNotNow` leaves NOT_NOW commands for a later poll.
 */
export async function nextCommand(deviceId: string, opts: { skipNotNow?: boolean } = {}): Promise<NextCommand | null> {
  const statuses: LiveStatus[] = opts.skipNotNow ? ["QUEUED", "SENT"] : [...LIVE_STATUSES];
  const row = await db().command.findFirst({
    where: { deviceId, status: { in: statuses } },
    orderBy: [{ createdAt: "asc" }],
    select: { id: true, uuid: true, requestType: true, payload: true, status: true },
  });
  if (!row) return null;
  if (row.status !== "SENT") await db().command.update({ where: { id: row.id }, data: { status: "SENT", sentAt: new Date() } });
  return { uuid: row.uuid, requestType: row.requestType, payload: row.payload };
}

export async function liveCommandCount(deviceId: string): Promise<number> {
  return db().command.count({ where: { deviceId, status: { in: [...LIVE_STATUSES] } } });
}

/** Drops the device's live queue (CheckOut, removal). */
export async function cancelLiveCommands(deviceId: string): Promise<number> {
  const r = await db().command.deleteMany({ where: { deviceId, status: { in: [...LIVE_STATUSES] } } });
  return r.count;
}

export const HISTORY_RETENTION_DAYS = 30;
const PRUNE_EVERY_MS = 10 * 60 * 1000;
let lastPrune = 0;

/** Deletes finished commands older than the retention window. */
export async function pruneCommandHistory(olderThanDays = HISTORY_RETENTION_DAYS, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - olderThanDays * 86_400_000);
  const r = await db().command.deleteMany({ where: { status: { in: ["ACKNOWLEDGED", "ERROR", "FORMAT_ERROR"] }, completedAt: { lt: cutoff } } });
  return r.count;
}

/** Prunes at most every ten minutes per process; called from the command endpoint. */
export async function maybePruneCommandHistory(): Promise<void> {
  const now = Date.now();
  if (now - lastPrune < PRUNE_EVERY_MS) return;
  lastPrune = now;
  await pruneCommandHistory();
}

export interface CommandSummary {
  uuid: string;
  requestType: string;
  status: string;
  createdAt: Date;
  sentAt: Date | null;
  completedAt: Date | null;
  policyId: string | null;
  errorChain: string | null;
}

/** The device's commands, newest first (portal and API). */
export async function listDeviceCommands(deviceId: string, take = 100): Promise<CommandSummary[]> {
  return db().command.findMany({
    where: { deviceId },
    orderBy: { createdAt: "desc" },
    take,
    select: { uuid: true, requestType: true, status: true, createdAt: true, sentAt: true, completedAt: true, policyId: true, errorChain: true },
  });
}

/**
 * Queues an admin's command for the device with this identifier (UDID or EnrollmentID).
 * Only the command types policies may use are accepted from the API.
 */
export async function sendDeviceCommand(identifier: string, requestType: string, params?: Record<string, unknown>): Promise<{ uuid: string; deviceId: string }> {
  if (!isAllowedCommandType(requestType)) throw new AppError(400, "invalid_command", `requestType must be one of ${ALLOWED_COMMAND_TYPES.join(", ")}`);
  const device = await db().device.findUnique({ where: { identifier }, select: { id: true, status: true } });
  if (!device) throw notFound("device");
  if (device.status === "UNENROLLED") throw new AppError(409, "device_unenrolled", "the device is unenrolled; it no longer accepts commands");
  const { uuid } = await enqueueCommand(device.id, requestType, params);
  return { uuid, deviceId: device.id };
}

/** The commands of the device with this identifier, newest first. */
export async function listCommandsForIdentifier(identifier: string, take = 100): Promise<CommandSummary[]> {
  const device = await db().device.findUnique({ where: { identifier }, select: { id: true } });
  if (!device) throw notFound("device");
  return listDeviceCommands(device.id, take);
}
