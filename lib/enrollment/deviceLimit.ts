// Per-user device limit (Intune's is 15): how many active enrollments one person may have.
// The organisation setting (0 = off) can be overridden per OTA token or routing rule. A
// person is the account-driven user or the email of a per-person OTA link; their active
// enrollments are their devices that have not checked out (status other than UNENROLLED).
import { z } from "zod";
import { db } from "../db/client";
import { invalidInput } from "../errors";
import { readSetting, writeSetting } from "../settings/store";

const KEY = "enrollment.deviceLimit";
export const MAX_DEVICE_LIMIT = 1000;

export const deviceLimitInput = z.number().int("deviceLimit must be a whole number").min(0, "deviceLimit must be 0 (no limit) or more").max(MAX_DEVICE_LIMIT);

/** The organisation's limit; 0 = no limit (the default). */
export async function getDeviceLimitSetting(): Promise<number> {
  const v = deviceLimitInput.safeParse(await readSetting(KEY));
  return v.success ? v.data : 0;
}

export async function setDeviceLimitSetting(raw: unknown): Promise<number> {
  const v = deviceLimitInput.safeParse(raw);
  if (!v.success) throw invalidInput("invalid_settings", v.error);
  await writeSetting(KEY, v.data);
  return v.data;
}

/** The limit that applies: the token's or rule's override when set, else the organisation's. */
export async function effectiveDeviceLimit(override: number | null | undefined): Promise<number> {
  return override ?? (await getDeviceLimitSetting());
}

export interface Person {
  userId?: string | null;
  email?: string | null;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The person's active enrollments, not counting the device with `exceptIdentifier` (the one enrolling again). */
export async function activeDeviceCount(person: Person, exceptIdentifier?: string | null): Promise<number> {
  const or = [...(person.userId ? [{ userId: person.userId }] : []), ...(person.email ? [{ personEmail: normalizeEmail(person.email) }] : [])];
  if (!or.length) return 0;
  return db().device.count({ where: { OR: or, status: { not: "UNENROLLED" }, ...(exceptIdentifier ? { identifier: { not: exceptIdentifier } } : {}) } });
}

export type LimitVerdict = { ok: true; limit: number; count: number } | { ok: false; limit: number; count: number };

/** Whether the person may enroll one more device under this limit (0 = no limit). */
export async function checkDeviceLimit(person: Person, limit: number, exceptIdentifier?: string | null): Promise<LimitVerdict> {
  if (limit <= 0 || (!person.userId && !person.email)) return { ok: true, limit, count: 0 };
  const count = await activeDeviceCount(person, exceptIdentifier);
  return { ok: count < limit, limit, count };
}

/** The log line's text for a refusal, with the fix. */
export function limitRefusalMessage(who: string, v: LimitVerdict, source: string): string {
  return `${who} already has ${v.count} active enrollment(s), the limit (${source}) is ${v.limit}; enrollment refused. Fix: remove or unenroll one of their devices, or raise the limit (${source}).`;
}
