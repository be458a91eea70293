// Admin accounts: the one-time setup of the first owner, local (break-glass) passwords,
// admins created on first IdP sign-in when their domain or group is allowed, and the
// Owner's management of them (role, disable) that never leaves the server without an active Owner.
import { db, isUniqueViolation } from "../db/client";
import { conflict, fieldError, notFound } from "../errors";
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
  if (password.length < 12) throw fieldError("weak_password", "password", "Password must be at least 12 characters.");
  if (password.length > 256) throw fieldError("weak_password", "password", "Password must be at most 256 characters.");
}

export async function createAdmin(input: { email: string; name?: string | null; password?: string | null; role: Role }): Promise<AdminIdentity> {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email)) throw fieldError("invalid_email", "email", "Enter a valid email address.");
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
    await db()
      .setting.delete({ where: { key: "setup.completed" } })
      .catch(() => undefined);
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

/** One row of Settings > Admins and `npm run admin -- admin list`. */
export interface AdminSummary extends AdminIdentity {
  /** true: has a local (break-glass) password; false: signs in through the IdP only. */
  localPassword: boolean;
  idpLinked: boolean;
  disabled: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
}

export async function listAdmins(): Promise<AdminSummary[]> {
  const rows = await db().admin.findMany({ orderBy: [{ createdAt: "asc" }, { email: "asc" }] });
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    localPassword: r.passwordHash != null,
    idpLinked: r.idpSubject != null,
    disabled: r.disabled,
    createdAt: r.createdAt,
    lastLoginAt: r.lastLoginAt,
  }));
}

/** An admin by id or (case-insensitive) email, as the portal and the CLI name them. */
async function findTarget(idOrEmail: string) {
  const key = idOrEmail.trim();
  const row = await db().admin.findFirst({ where: { OR: [{ id: key }, { email: key.toLowerCase() }] } });
  if (!row) throw notFound("admin");
  return row;
}

const LAST_OWNER = () => conflict("last_owner", "This is the last active Owner; make another admin Owner first, or the server would have nobody who can manage admins.");

/**
 * Applies a role or disabled change and re-counts active Owners inside the same serializable
 * transaction, so two concurrent demotions of the last two Owners cannot both succeed.
 */
async function changeAdmin(idOrEmail: string, data: { role?: Role; disabled?: boolean }): Promise<AdminIdentity & { disabled: boolean }> {
  const target = await findTarget(idOrEmail);
  const row = await db().$transaction(
    async (tx) => {
      const updated = await tx.admin.update({ where: { id: target.id }, data });
      // A new role or a disabled account ends the admin's sessions: they sign in again with what they may now do.
      if ((data.role !== undefined && data.role !== target.role) || (data.disabled && !target.disabled)) await tx.adminSession.deleteMany({ where: { adminId: target.id } });
      const wasActiveOwner = target.role === "OWNER" && !target.disabled;
      if (wasActiveOwner && (await tx.admin.count({ where: { role: "OWNER", disabled: false } })) === 0) throw LAST_OWNER();
      return updated;
    },
    { isolationLevel: "Serializable" },
  );
  return { id: row.id, email: row.email, name: row.name, role: row.role, disabled: row.disabled };
}

export async function setAdminRole(idOrEmail: string, role: Role): Promise<AdminIdentity & { disabled: boolean }> {
  return changeAdmin(idOrEmail, { role });
}

/**
 * Disables or re-enables an admin. A disabled admin cannot sign in, and their open sessions are
 * ended (lib/auth/adminSessions.ts).
 * `actorId` refuses disabling one's own account, which would end the session doing it.
 */
export async function setAdminDisabled(idOrEmail: string, disabled: boolean, actorId?: string): Promise<AdminIdentity & { disabled: boolean }> {
  if (disabled && actorId) {
    const target = await findTarget(idOrEmail);
    if (target.id === actorId) throw conflict("disable_self", "You cannot disable your own account; ask another Owner.");
  }
  return changeAdmin(idOrEmail, { disabled });
}
