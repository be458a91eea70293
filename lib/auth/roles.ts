// Admin roles, weakest first. Read-only admins may look; only ADMIN and OWNER change things.
export type Role = "OWNER" | "ADMIN" | "READ_ONLY";
const RANK: Record<Role, number> = { READ_ONLY: 1, ADMIN: 2, OWNER: 3 };

export function hasRole(actual: Role, needed: Role): boolean {
  return RANK[actual] >= RANK[needed];
}

export function isRole(value: unknown): value is Role {
  return value === "OWNER" || value === "ADMIN" || value === "READ_ONLY";
}

export const ROLE_LABEL: Record<Role, string> = { OWNER: "Owner", ADMIN: "Admin", READ_ONLY: "Read-only" };

/** Enrollment links, their QR codes and static SCEP challenges enroll devices: secrets for Admins and Owners, not Read-only. */
export function seesEnrollmentSecrets(role: Role): boolean {
  return hasRole(role, "ADMIN");
}
