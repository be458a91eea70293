"use server";
// Server actions for OTA tokens. Each checks the Admin role itself: the page hiding the
// controls from read-only admins is a courtesy, not the guard.
import { revalidatePath } from "next/cache";
import { redirect, unstable_rethrow } from "next/navigation";
import { audit } from "@/lib/auth/audit";
import { requireAdmin } from "@/app/_lib/session";
import { createEnrollmentTokenFromInput, revokeEnrollmentToken } from "@/lib/enrollment/tokens";
import { AppError } from "@/lib/errors";
import { governanceFromForm } from "@/lib/enrollment/governanceForm";

export interface TokenFormState {
  error: string | null;
  /** What was submitted, so a refused form comes back filled in. */
  values?: { name: string; groupId: string; scepProfileId: string; maxUses: string; personEmail?: string; deviceLimit?: string; terms?: string };
}

const field = (form: FormData, name: string): string => String(form.get(name) ?? "").trim();

export async function createTokenAction(_prev: TokenFormState, form: FormData): Promise<TokenFormState> {
  const values = {
    name: field(form, "name"),
    groupId: field(form, "groupId"),
    scepProfileId: field(form, "scepProfileId"),
    maxUses: field(form, "maxUses"),
    personEmail: field(form, "personEmail"),
    deviceLimit: field(form, "deviceLimit"),
    terms: String(form.get("terms") ?? ""),
  };
  let admin;
  try {
    admin = await requireAdmin("ADMIN");
  } catch (err) {
    unstable_rethrow(err); // signed out: let requireAdmin's redirect to /signin happen
    return { error: (err as Error).message, values };
  }
  const expiration = field(form, "expiration");
  const maxUsesRaw = field(form, "maxUses") || "0";
  const input = {
    name: field(form, "name"),
    expiresIn: expiration === "custom" ? { at: field(form, "expiresAt") } : expiration,
    groupId: field(form, "groupId") || null,
    // "ext:<id>" picks an external SCEP profile (same select, grouped apart).
    scepProfileId: field(form, "scepProfileId").startsWith("ext:") ? null : field(form, "scepProfileId") || null,
    externalScepProfileId: field(form, "scepProfileId").startsWith("ext:") ? field(form, "scepProfileId").slice(4) : null,
    maxUses: /^\d+$/.test(maxUsesRaw) ? Number(maxUsesRaw) : NaN,
    ...governanceFromForm((name) => (name === "terms" ? String(form.get(name) ?? "") : field(form, name))),
  };
  let id: string;
  try {
    id = (await createEnrollmentTokenFromInput(input, `session:${admin.email}`)).id;
  } catch (err) {
    if (err instanceof AppError) return { error: err.message.replace(/^expiresIn\.at: /, "Custom expiry: ").replace(/^maxUses: /, "Max uses: ").replace(/^name: /, "Name: ").replace(/^personEmail: /, "Person: ").replace(/^deviceLimit: /, "Device limit: "), values };
    throw err;
  }
  await audit({ actor: `session:${admin.email}`, action: "token.create", target: id, detail: input.name });
  revalidatePath("/admin/enrollment/tokens");
  redirect(`/admin/enrollment/tokens/${id}?created=1`);
}

export async function revokeTokenAction(form: FormData): Promise<void> {
  const admin = await requireAdmin("ADMIN");
  const id = field(form, "id");
  const token = await revokeEnrollmentToken(id);
  await audit({ actor: `session:${admin.email}`, action: "token.revoke", target: id, detail: token.name });
  revalidatePath("/admin/enrollment/tokens");
  revalidatePath(`/admin/enrollment/tokens/${id}`);
}
