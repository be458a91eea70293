// Admin accounts: the one-time setup of the first owner, local (break-glass) passwords,
// and admins created on first IdP sign-in when their domain or group is allowed.
import { db, isUniqueViolation } from "../db/client";
import { badRequest, conflict } from "../errors";
import { hashPassword, verifyPassword } from "../secrets/hash";
import type { Role } from "./roles";

export interface AdminIdentity {
  id: string;
  email: string;
  name: string | null;
  role: Role;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function adminCount(): Promise<number> {
  return db().admin.count();
}

export function validateNewPassword(password: string): void {
  if (password.length < 12) throw badRequest("weak_password", "Password must be at least 12 characters.");
  if (password.length > 256) throw badRequest("weak_password", "Password must be at most 256 characters.");
}

export async function createAdmin(input: { email: string; name?: string | null; password?: string | null; role: Role }): Promise<AdminIdentity> {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email)) throw badRequest("invalid_email", "Enter a valid email address.");
  if (input.password != null) validateNewPassword(input.password);
  const existing = await db().admin.findUnique({ where: { email } });
  if (existing) throw conflict("admin_exists", "An admin with this email already exists.");
  const row = await db().admin.create({
    data: { email, name: input.name ?? null, role: input.role, passwordHash: input.password ? await hashPassword(input.password) : null },
  });
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

/**
 * Creates the first owner. Only succeeds while no admin exists; a unique-email race
 * between two setup submissions leaves exactly one owner.
 */
export async function setupFirstOwner(input: { email: string; name?: string; password: string }): Promise<AdminIdentity> {
  const done = () => conflict("already_set_up", "Setup is already complete; sign in instead.");
  if ((await adminCount()) > 0) throw done();
  validateNewPassword(input.password);
  // The setting's primary key is the lock: of two concurrent submissions only one inserts it.
  try {
    await db().setting.create({ data: { key: "setup.completed", value: JSON.stringify(new Date().toISOString()) } });
  } catch (err) {
    if (isUniqueViolation(err)) throw done();
    throw err;
  }
  try {
    return await createAdmin({ ...input, role: "OWNER" });
  } catch (err) {
    await db().setting.delete({ where: { key: "setup.completed" } }).catch(() => undefined);
    throw err;
  }
}

export async function verifyAdminPassword(emailRaw: string, password: string): Promise<AdminIdentity | null> {
  const email = emailRaw.trim().toLowerCase();
  const row = await db().admin.findUnique({ where: { email } });
  const ok = await verifyPassword(password, row?.passwordHash);
  if (!row || !ok || row.disabled) return null;
  await db().admin.update({ where: { id: row.id }, data: { lastLoginAt: new Date() } });
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

export async function findAdminById(id: string): Promise<AdminIdentity | null> {
  const row = await db().admin.findUnique({ where: { id } });
  if (!row || row.disabled) return null;
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

/** ADMIN_EMAIL / ADMIN_PASSWORD bootstrap at start: creates the owner once, never overwrites. */
export async function bootstrapAdminFromEnv(email: string | null, password: string | null): Promise<"created" | "exists" | "skipped"> {
  if (!email || !password) return "skipped";
  if (await db().admin.findUnique({ where: { email: email.trim().toLowerCase() } })) return "exists";
  await createAdmin({ email, password, role: (await adminCount()) === 0 ? "OWNER" : "ADMIN" });
  return "created";
}
