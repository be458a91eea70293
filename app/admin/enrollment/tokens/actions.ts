"use server";
// Server actions for OTA tokens. Each checks the Admin role itself: the page hiding the
// controls from read-only admins is a courtesy, not the guard.
import { revalidatePath } from "next/cache";
import { redirect, unstable_rethrow } from "next/navigation";
import { audit } from "@/lib/auth/audit";
import { requireAdmin } from "@/app/_lib/session";
import { createEnrollmentTokenFromInput, deleteEnrollmentToken, revokeEnrollmentToken, updateEnrollmentToken } from "@/lib/enrollment/tokens";
import { AppError } from "@/lib/errors";
import { governanceFromForm } from "@/lib/enrollment/governanceForm";
import type { ActionState } from "@/components/ui/actionState";
import { adminAction } from "../../_lib/action";

export interface TokenFormState {
  error: string | null;
  /** What was submitted, so a refused form comes back filled in. */
  values?: { name: string; groupId: string; scepProfileId: string; maxUses: string; personEmail?: string; deviceLimit?: string; terms?: string; deviceBound?: string; requireAttestation?: string };
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
    deviceBound: field(form, "deviceBound"),
    requireAttestation: field(form, "requireAttestation"),
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
    deviceBound: field(form, "deviceBound") === "1",
    requireAttestation: field(form, "requireAttestation") === "1",
  };
  let id: string;
  try {
    id = (await createEnrollmentTokenFromInput(input, `session:${admin.email}`)).id;
  } catch (err) {
    if (err instanceof AppError)
      return {
        error: err.message
          .replace(/^expiresIn\.at: /, "Custom expiry: ")
          .replace(/^maxUses: /, "Max uses: ")
          .replace(/^name: /, "Name: ")
          .replace(/^personEmail: /, "Person: ")
          .replace(/^deviceLimit: /, "Device limit: "),
        values,
      };
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

/** Edit: name, group, expiry moved later (the short link and QR code stay the same). */
export async function updateTokenAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "id");
  const extend = field(form, "extendExpiry");
  return adminAction({ action: "token.update", target: id }, async () => {
    try {
      await updateEnrollmentToken(id, {
        name: field(form, "name"),
        groupId: field(form, "groupId") || null,
        ...(extend === "custom" ? { extendExpiry: { at: field(form, "extendAt") } } : extend ? { extendExpiry: extend } : {}),
      });
    } catch (err) {
      // The expiry's refusals name extendExpiry(.at); show them beside the expiry field.
      if (err instanceof AppError && /^extendExpiry/.test(err.message))
        return { error: err.message.replace(/^extendExpiry(\.at)?: /, "Expiry: "), fieldErrors: { extendExpiry: err.message.replace(/^extendExpiry(\.at)?: /, "") } };
      throw err;
    }
    revalidatePath("/admin/enrollment/tokens");
    revalidatePath(`/admin/enrollment/tokens/${id}`);
    return { ok: "Token saved.", next: { href: `/admin/enrollment/tokens/${id}`, label: "Back to the token" } };
  });
}

/** Delete (confirmed in the form): the link stops working; enrolled devices stay enrolled. */
export async function deleteTokenAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "id");
  const out: { deleted?: { name: string; devices: number } } = {};
  const result = await adminAction({ action: "token.delete", target: id }, async () => {
    out.deleted = await deleteEnrollmentToken(id);
    return { ok: "Deleted." };
  });
  if (!out.deleted) return result;
  const { name, devices } = out.deleted;
  revalidatePath("/admin/enrollment/tokens");
  redirect(`/admin/enrollment/tokens?${new URLSearchParams({ deleted: name, devices: String(devices) })}`);
}
