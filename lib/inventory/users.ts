// Account-driven enrollment users for the portal's list (read side).
import { db } from "../db/client";
import { managedAppleIdFor, presentUser } from "../enrollment/users";

export interface UserRow extends ReturnType<typeof presentUser> {
  deviceCount: number;
}

export async function listEnrollmentUsers(opts: { q?: string; limit?: number } = {}): Promise<{ users: UserRow[]; total: number }> {
  const where = opts.q ? { OR: [{ identifier: { contains: opts.q.toLowerCase() } }, { managedAppleId: { contains: opts.q.toLowerCase() } }] } : {};
  const [rows, total] = await Promise.all([
    db().user.findMany({ where, orderBy: { identifier: "asc" }, take: Math.min(opts.limit ?? 100, 500), include: { _count: { select: { devices: true } } } }),
    db().user.count({ where }),
  ]);
  return { users: rows.map(({ _count, ...u }) => ({ ...presentUser(u), managedAppleId: managedAppleIdFor(u), deviceCount: _count.devices })), total };
}
