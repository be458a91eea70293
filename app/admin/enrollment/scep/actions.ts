"use server";
// SCEP profile actions. Secrets (static password, NDES credentials) are returned to the form
// once and never again. Each action checks the Admin role itself (adminAction).
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { createScepProfile, deleteScepProfile, resetNdesPassword, updateScepProfile, type CreatedScepProfile } from "@/lib/scep/profiles";
import type { ActionState } from "@/components/ui/actionState";
import { adminAction, field } from "../../_lib/action";

function inputFrom(form: FormData) {
  const type = field(form, "challengeType");
  const num = (name: string) => (field(form, name) === "" ? undefined : Number(field(form, name)));
  return {
    name: field(form, "name"),
    challengeType: type,
    subjectTemplate: field(form, "subjectTemplate"),
    keySize: num("keySize"),
    keyUsage: (form.has("keyUsageSign") ? 1 : 0) | (form.has("keyUsageEncipher") ? 4 : 0),
    validityDays: num("validityDays"),
    renewalWindowDays: num("renewalWindowDays"),
    nonExportable: form.has("nonExportable"),
    allowAllAppsAccess: form.has("allowAllAppsAccess"),
    staticChallenge: type === "STATIC" ? field(form, "staticChallenge") || undefined : undefined,
    ndesUsername: type === "NDES" ? field(form, "ndesUsername") || undefined : undefined,
    ndesCacheSize: type === "NDES" ? num("ndesCacheSize") : undefined,
  };
}

function secretsOf(r: Partial<CreatedScepProfile>, challengeUrl: string | null): ActionState["secrets"] {
  const out: { label: string; value: string }[] = [];
  if (r.staticChallenge) out.push({ label: "Static password", value: r.staticChallenge });
  if (r.ndesPassword) {
    if (challengeUrl) out.push({ label: "Challenge URL", value: challengeUrl });
    out.push({ label: "User name", value: r.ndesUsername ?? "" }, { label: "Password", value: r.ndesPassword });
  }
  return out.length ? out : undefined;
}

export async function createScepProfileAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const input = inputFrom(form);
  return adminAction({ action: "scep-profile.create", target: input.name }, async () => {
    const created = await createScepProfile(input);
    revalidatePath("/admin/enrollment/scep");
    return {
      ok: `SCEP profile "${created.profile.name}" created.`,
      secrets: secretsOf(created, created.profile.challengeUrl),
      next: { href: `/admin/enrollment/scep/${created.profile.id}`, label: "Open the profile" },
    };
  });
}

export async function updateScepProfileAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "profileId");
  const input = inputFrom(form);
  return adminAction({ action: "scep-profile.update", target: id }, async () => {
    const updated = await updateScepProfile(id, input);
    revalidatePath(`/admin/enrollment/scep/${id}`);
    revalidatePath("/admin/enrollment/scep");
    return { ok: "Saved.", secrets: secretsOf(updated, updated.profile.challengeUrl) };
  });
}

export async function rotateStaticPasswordAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "profileId");
  return adminAction({ action: "scep-profile.rotate-static", target: id }, async () => {
    const updated = await updateScepProfile(id, { rotateStaticChallenge: true });
    return { ok: "New static password generated. Profiles downloaded from now on carry it.", secrets: secretsOf(updated, null) };
  });
}

export async function resetNdesPasswordAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "profileId");
  return adminAction({ action: "scep-profile.reset-ndes", target: id }, async () => {
    const r = await resetNdesPassword(id);
    return {
      ok: "Password reset. The old password no longer works.",
      secrets: [
        { label: "User name", value: r.ndesUsername },
        { label: "Password", value: r.ndesPassword },
      ],
    };
  });
}

export async function deleteScepProfileAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "profileId");
  const result = await adminAction({ action: "scep-profile.delete", target: id }, async () => {
    await deleteScepProfile(id);
    return { ok: "Deleted." };
  });
  if (result.error) return result;
  revalidatePath("/admin/enrollment/scep");
  redirect("/admin/enrollment/scep");
}
