// The per-device command queue. A command stays live (QUEUED, SENT, NOT_NOW) until the
// device answers Acknowledged, Error or CommandFormatError; then it is history. The
// "next command" query reads the (deviceId, status, createdAt) index, and history older
// than the retention window is pruned so the live table stays small (protocol-notes).
import type { Prisma } from "../db/client";
import { db } from "../db/client";
import { firstValue } from "../db/fixedSql";
import { AppError, notFound } from "../errors";
import { ALLOWED_COMMAND_TYPES, buildCommand, isAllowedCommandType } from "./commandPayload";
import { knownCommandTypes } from "../profiles/appleSchema";
import { requestPush } from "./push";

/** Live commands one device may hold; beyond it enqueueing answers 429 (MAX_LIVE_COMMANDS). */
export function maxLiveCommands(): number {
  const n = Number(process.env.MAX_LIVE_COMMANDS ?? "");
  return Number.isInteger(n) && n > 0 ? n : 100;
}

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
  const live = await liveCommandCount(deviceId);
  if (live + commands.length > maxLiveCommands()) {
    throw new AppError(429, "command_queue_full", `the device already has ${live} live commands (limit ${maxLiveCommands()}); cancel some or wait until it checks in`);
  }
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

// The statuses are this module's constants (spliced as literals so PostgreSQL compares them
// with its enum); the device id is bound. Served by the (deviceId, status, createdAt) index.
const liveCommandSql = (statuses: readonly LiveStatus[]) => `SELECT "id" FROM "Command" WHERE "deviceId" = ? AND "status" IN (${statuses.map((s) => `'${s}'`).join(", ")}) LIMIT 1`;
const HAS_LIVE = liveCommandSql(LIVE_STATUSES);
const HAS_QUEUED_OR_SENT = liveCommandSql(["QUEUED", "SENT"]);

/**
 * The oldest live command for the device, marked SENT. After a NotNow answer the device
 * should get other work first, so `skipNotNow` leaves NOT_NOW commands for a later poll.
 * A command the device was sent but did not answer is sent again on its next poll. Each
 * hand-out is claimed with a compare-and-set on (status, sentAt): of two polls racing for one
 * command (two instances, two workers), one gets it and the other takes the next command.
 */
export async function nextCommand(deviceId: string, opts: { skipNotNow?: boolean } = {}): Promise<NextCommand | null> {
  const statuses: LiveStatus[] = opts.skipNotNow ? ["QUEUED", "SENT"] : [...LIVE_STATUSES];
  // Most polls find the queue empty: one fixed read answers them without Prisma's query path.
  if ((await firstValue(opts.skipNotNow ? HAS_QUEUED_OR_SENT : HAS_LIVE, [deviceId])) === null) return null;
  const lost: string[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = await db().command.findFirst({
      where: { deviceId, status: { in: statuses }, ...(lost.length ? { id: { notIn: lost } } : {}) },
      orderBy: [{ createdAt: "asc" }],
      select: { id: true, uuid: true, requestType: true, payload: true, status: true, sentAt: true },
    });
    if (!row) return null;
    // A strictly later sentAt, so a second claim of the same read cannot match again.
    const sentAt = new Date(Math.max(Date.now(), (row.sentAt?.getTime() ?? 0) + 1));
    const { count } = await db().command.updateMany({ where: { id: row.id, status: row.status, sentAt: row.sentAt }, data: { status: "SENT", sentAt } });
    if (count === 1) return { uuid: row.uuid, requestType: row.requestType, payload: row.payload };
    lost.push(row.id);
  }
  return null;
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

export const COMMAND_PAGE_MAX = 100;

/** The device's commands, newest first (portal and API); `before` is the cursor (a command uuid). */
export async function listDeviceCommands(deviceId: string, take = COMMAND_PAGE_MAX, before?: string | null): Promise<{ commands: CommandSummary[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(1, Math.trunc(take) || COMMAND_PAGE_MAX), COMMAND_PAGE_MAX);
  let cursorWhere: Prisma.CommandWhereInput = {};
  if (before) {
    const c = await db().command.findFirst({ where: { deviceId, uuid: before }, select: { createdAt: true, id: true } });
    if (!c) throw new AppError(400, "invalid_cursor", "cursor does not name a command of this device");
    cursorWhere = { OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }] };
  }
  const rows = await db().command.findMany({
    where: { deviceId, ...cursorWhere },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: { uuid: true, requestType: true, status: true, createdAt: true, sentAt: true, completedAt: true, policyId: true, errorChain: true },
  });
  const more = rows.length > limit;
  const commands = rows.slice(0, limit);
  return { commands, nextCursor: more ? commands[commands.length - 1].uuid : null };
}

async function deviceIdFor(identifier: string): Promise<string> {
  const device = await db().device.findFirst({ where: { OR: [{ identifier }, { id: identifier }] }, select: { id: true } });
  if (!device) throw notFound("device");
  return device.id;
}

/**
 * Queues an admin's command for the device with this identifier (UDID or EnrollmentID).
 * Admins may send the policy command types; Owners any command Apple's schema knows,
 * validated against it before queueing (buildCommand).
 */
export async function sendDeviceCommand(identifier: string, requestType: string, params?: Record<string, unknown>, opts: { anyType?: boolean } = {}): Promise<{ uuid: string; deviceId: string }> {
  if (!opts.anyType && !isAllowedCommandType(requestType)) {
    throw new AppError(400, "invalid_command", `requestType must be one of ${ALLOWED_COMMAND_TYPES.join(", ")} (Owners may send any command Apple's schema knows)`);
  }
  if (opts.anyType && !knownCommandTypes().includes(requestType)) throw new AppError(400, "invalid_command", `Apple's schema knows no command "${requestType.slice(0, 80)}"`);
  const device = await db().device.findUnique({ where: { identifier }, select: { id: true, status: true } });
  if (!device) throw notFound("device");
  if (device.status === "UNENROLLED") throw new AppError(409, "device_unenrolled", "the device is unenrolled; it no longer accepts commands");
  const { uuid } = await enqueueCommand(device.id, requestType, params);
  return { uuid, deviceId: device.id };
}

/** The commands of the device with this identifier, newest first, a page at a time. */
export async function listCommandsForIdentifier(identifier: string, take = COMMAND_PAGE_MAX, before?: string | null): Promise<{ commands: CommandSummary[]; nextCursor: string | null }> {
  return listDeviceCommands(await deviceIdFor(identifier), take, before);
}

export interface CommandDetail extends CommandSummary {
  /** The device's full answer (plist XML), only on request. */
  result: string | null;
}

/** One command with the device's answer. */
export async function getDeviceCommand(identifier: string, uuid: string): Promise<CommandDetail> {
  const deviceId = await deviceIdFor(identifier);
  const c = await db().command.findFirst({
    where: { deviceId, uuid },
    select: { uuid: true, requestType: true, status: true, createdAt: true, sentAt: true, completedAt: true, policyId: true, errorChain: true, result: true },
  });
  if (!c) throw notFound("command");
  return c;
}

/**
 * Cancels a command the device has not been handed yet (QUEUED or NOT_NOW). A SENT command
 * may already be running on the device, so it cannot be taken back: 409.
 */
export async function cancelDeviceCommand(identifier: string, uuid: string): Promise<{ requestType: string }> {
  const deviceId = await deviceIdFor(identifier);
  const c = await db().command.findFirst({ where: { deviceId, uuid }, select: { id: true, status: true, requestType: true } });
  if (!c) throw notFound("command");
  const r = await db().command.deleteMany({ where: { id: c.id, status: { in: ["QUEUED", "NOT_NOW"] } } });
  if (r.count === 0) throw new AppError(409, "command_not_cancellable", `the command is ${c.status.toLowerCase()}; only commands not yet delivered can be cancelled`);
  return { requestType: c.requestType };
}
