// Who may enter the portal through the IdP: an existing admin by email, or anyone whose
// email domain or group claim is on the allow-list (created with the default role).
import { db } from "../db/client";
import { isRole, type Role } from "./roles";

export interface IdpProfile {
  sub: string;
  email?: string | null;
  name?: string | null;
  groups?: unknown;
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

export function allowListFromEnv(env = process.env) {
  const role = (env.OIDC_DEFAULT_ROLE ?? "READ_ONLY").toUpperCase();
  return {
    domains: list(env.OIDC_ALLOWED_DOMAINS),
    groups: list(env.OIDC_ALLOWED_GROUPS),
    adminGroups: list(env.OIDC_ADMIN_GROUPS),
    ownerGroups: list(env.OIDC_OWNER_GROUPS),
    defaultRole: (isRole(role) ? role : "READ_ONLY") as Role,
  };
}

function groupsOf(profile: IdpProfile): string[] {
  const g = profile.groups;
  if (Array.isArray(g)) return g.filter((x): x is string => typeof x === "string").map((x) => x.toLowerCase());
  if (typeof g === "string") return [g.toLowerCase()];
  return [];
}

/** The role an IdP user gets, or null when they are not allowed in. */
export function roleForIdpUser(profile: IdpProfile, allow = allowListFromEnv()): Role | null {
  const email = profile.email?.toLowerCase() ?? "";
  const groups = groupsOf(profile);
  if (allow.ownerGroups.some((g) => groups.includes(g))) return "OWNER";
  if (allow.adminGroups.some((g) => groups.includes(g))) return "ADMIN";
  const domain = email.includes("@") ? email.slice(email.lastIndexOf("@") + 1) : "";
  if ((domain && allow.domains.includes(domain)) || allow.groups.some((g) => groups.includes(g))) return allow.defaultRole;
  return null;
}

/** Finds or creates the admin for an IdP sign-in; null means access denied. */
export async function admitIdpUser(profile: IdpProfile): Promise<{ id: string; role: Role } | null> {
  const email = profile.email?.trim().toLowerCase();
  if (!email) return null;
  const existing = await db().admin.findUnique({ where: { email } });
  if (existing) {
    if (existing.disabled) return null;
    await db().admin.update({ where: { id: existing.id }, data: { idpSubject: profile.sub, lastLoginAt: new Date() } });
    return { id: existing.id, role: existing.role };
  }
  const role = roleForIdpUser(profile);
  if (!role) return null;
  const created = await db().admin.create({ data: { email, name: profile.name ?? null, role, idpSubject: profile.sub, lastLoginAt: new Date() } });
  return { id: created.id, role: created.role };
}
