// The guard every portal server action runs through: the Admin role, or Owner where asked (weaker
// roles are refused here, not just by hidden buttons), typed errors turned into a message, an audit line.
import { headers } from "next/headers";
import { unstable_rethrow } from "next/navigation";
import { audit } from "@/lib/auth/audit";
import { currentAdmin, requireAdmin, type SessionAdmin } from "@/app/_lib/session";
import { AppError, InputError } from "@/lib/errors";
import { log } from "@/lib/log/logger";
import { remoteAddressFromHeaders } from "@/lib/http/remote";
import type { Role } from "@/lib/auth/roles";
import type { ActionState } from "@/components/ui/actionState";

export const READ_ONLY_REFUSAL = "Forbidden (403): your role is Read-only, so you cannot change anything.";
export const OWNER_REFUSAL = "Forbidden (403): this needs the Owner role.";

async function requestAddress(): Promise<string | null> {
  try {
    return remoteAddressFromHeaders(await headers());
  } catch {
    return null; // outside a request (scripts, tests): no address to record
  }
}

export async function adminAction(what: { action: string; target?: string | null; role?: Extract<Role, "ADMIN" | "OWNER"> }, fn: (admin: SessionAdmin) => Promise<ActionState>): Promise<ActionState> {
  // Where the change came from, for the audit log (behind a trusted proxy, its forwarded address).
  const remoteAddr = await requestAddress();
  let admin: SessionAdmin;
  try {
    admin = await requireAdmin(what.role ?? "ADMIN");
  } catch (err) {
    unstable_rethrow(err);
    // A refused attempt is worth a line in the audit log too.
    const who = await currentAdmin().catch(() => null);
    if (who) await audit({ actor: `session:${who.email}`, action: what.action, target: what.target ?? null, detail: `403 refused: role ${who.role}`, remoteAddr });
    return { error: what.role === "OWNER" && who?.role !== "READ_ONLY" ? OWNER_REFUSAL : READ_ONLY_REFUSAL };
  }
  try {
    const result = await fn(admin);
    await audit({ actor: `session:${admin.email}`, action: what.action, target: what.target ?? null, detail: result.error ? `refused: ${result.error}` : "ok", remoteAddr });
    return { ...result, done: result.error ? undefined : Date.now() };
  } catch (err) {
    unstable_rethrow(err);
    if (err instanceof AppError) {
      await audit({ actor: `session:${admin.email}`, action: what.action, target: what.target ?? null, detail: `${err.status} ${err.code}`, remoteAddr });
      return err instanceof InputError ? { error: err.message, fieldErrors: err.fields } : { error: err.message };
    }
    log.error("portal action failed", { action: what.action, err });
    return { error: "Something went wrong on the server; the change was not made. Details are in the server log." };
  }
}

export const field = (form: FormData, name: string): string => String(form.get(name) ?? "").trim();
