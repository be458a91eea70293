import type { Role } from "@/lib/auth/roles";

declare module "next-auth" {
  interface Session {
    admin?: { id: string; email: string; name: string | null; role: Role };
  }
}
