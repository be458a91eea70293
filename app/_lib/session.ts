// Admin sessions for pages and server actions. Every admin page and action calls
// requireAdmin(); the proxy's redirect is only the first line of defence.
import { getServerSession } from "next-auth";
import { redirect } from "next/navigation";
import { authOptions } from "@/lib/auth/options";
import { hasRole, type Role } from "@/lib/auth/roles";

export interface SessionAdmin {
  id: string;
  email: string;
  name: string | null;
  role: Role;
}

export async function currentAdmin(): Promise<SessionAdmin | null> {
  const session = await getServerSession(authOptions());
  return session?.admin ?? null;
}

/** For server components and server actions: redirects to sign-in, or refuses a weaker role. */
export async function requireAdmin(role: Role = "READ_ONLY"): Promise<SessionAdmin> {
  const admin = await currentAdmin();
  if (!admin) redirect("/signin");
  if (!hasRole(admin.role, role)) throw new Error("Your role does not allow this action.");
  return admin;
}

export function canWrite(admin: SessionAdmin): boolean {
  return hasRole(admin.role, "ADMIN");
}
