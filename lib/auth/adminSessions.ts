// Server-side portal sessions. The next-auth JWT cookie carries a session id (`sid`) that
// must name a live row here: signing out, a role change and disabling the admin delete the
// rows, so a copied cookie stops working at once, on every instance. One primary-key read
// per request, joined with the admin it belongs to.
import crypto from "node:crypto";
import { db } from "../db/client";
import type { AdminIdentity } from "./admins";

/** Starts a session for `adminId` lasting `maxAgeSeconds`; returns its id for the cookie. */
export async function startAdminSession(adminId: string, maxAgeSeconds: number, now = new Date()): Promise<string> {
  const id = crypto.randomBytes(24).toString("base64url");
  await db().adminSession.create({ data: { id, adminId, expiresAt: new Date(now.getTime() + maxAgeSeconds * 1000) } });
  return id;
}

/** The admin of a live session, or null when it ended, expired or its admin is disabled. */
export async function sessionAdmin(sid: string, now = new Date()): Promise<AdminIdentity | null> {
  const row = await db().adminSession.findUnique({ where: { id: sid }, include: { admin: true } });
  if (!row || row.expiresAt <= now || row.admin.disabled) return null;
  return { id: row.admin.id, email: row.admin.email, name: row.admin.name, role: row.admin.role };
}

export async function endAdminSession(sid: string): Promise<void> {
  await db().adminSession.deleteMany({ where: { id: sid } });
}

/** Ends every session of an admin (role changed, disabled). */
export async function endAdminSessions(adminId: string): Promise<void> {
  await db().adminSession.deleteMany({ where: { adminId } });
}

/** Deletes expired rows (scheduled job). */
export async function pruneAdminSessions(now = new Date()): Promise<number> {
  return (await db().adminSession.deleteMany({ where: { expiresAt: { lte: now } } })).count;
}
