"use server";
// External SCEP profile actions: check the URL (shows the CA fingerprint to confirm), create,
// edit, delete. Secrets go in once and are never shown again. Each action checks the Admin role.
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { createExternalScepProfile, deleteExternalScepProfile, probeExternalScep, updateExternalScepProfile } from "@/lib/scep/external/profiles";
import type { ActionState } from "@/components/ui/actionState";
import { adminAction, field } from "../../../_lib/action";

const opt = (form: FormData, name: string) => field(form, name) || undefined;

export async function probeExternalScepAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const url = field(form, "scepUrl");
  return adminAction({ action: "external-scep.probe", target: url }, async () => {
    const p = await probeExternalScep(url);
    return {
      ok: `GetCACert answered ${p.certificates} certificate(s). CA: ${p.ca.subject} (valid until ${p.ca.notAfter.toISOString().slice(0, 10)}). Confirm this fingerprint with the CA's administrator before saving.`,
      secrets: [
        { label: "SHA-256", value: p.ca.sha256 },
        { label: "SHA-1", value: p.ca.sha1 },
        { label: "Capabilities", value: p.caps.join(", ") || "(none)" },
      ],
    };
  });
}

/** The form's fields as the API's input; empty secret fields are left out (an edit keeps the sealed ones). */
function formInput(form: FormData) {
  const source = field(form, "challengeSource") || "NONE";
  const dynamic = source === "NDES" || source === "GENERIC";
  const san = Object.fromEntries(
    (
      [
        ["ntPrincipalName", "sanNtPrincipalName"],
        ["rfc822Name", "sanRfc822Name"],
        ["dNSName", "sanDnsName"],
      ] as const
    )
      .map(([k, f]) => [k, opt(form, f)])
      .filter(([, v]) => v !== undefined),
  );
  return {
    name: field(form, "name"),
    scepUrl: field(form, "scepUrl"),
    caFingerprint: opt(form, "caFingerprint"),
    challengeSource: source,
    staticChallenge: source === "STATIC" ? opt(form, "staticChallenge") : undefined,
    challengeUrl: dynamic ? opt(form, "challengeUrl") : undefined,
    challengeUsername: dynamic ? opt(form, "challengeUsername") : undefined,
    challengePassword: dynamic ? opt(form, "challengePassword") : undefined,
    challengeJsonField: source === "GENERIC" ? opt(form, "challengeJsonField") : undefined,
    subjectTemplate: field(form, "subjectTemplate"),
    subjectAltName: Object.keys(san).length ? san : undefined,
    keySize: Number(field(form, "keySize") || 2048),
    keyUsage: (form.has("keyUsageSign") ? 1 : 0) | (form.has("keyUsageEncipher") ? 4 : 0),
    nonExportable: !form.has("allowExport"),
    allowAllAppsAccess: form.has("allowAllAppsAccess"),
  };
}

export async function createExternalScepAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const input = formInput(form);
  return adminAction({ action: "external-scep.create", target: input.name }, async () => {
    const created = await createExternalScepProfile(input);
    revalidatePath("/admin/enrollment/scep");
    return { ok: `External SCEP profile "${created.profile.name}" saved; CA ${created.profile.ca.sha256} pinned.`, next: { href: "/admin/enrollment/scep", label: "Back to SCEP profiles" } };
  });
}

export async function updateExternalScepAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "profileId");
  const input = formInput(form);
  const dynamic = input.challengeSource === "NDES" || input.challengeSource === "GENERIC";
  // The form shows every field: empty optional ones clear them (secrets excepted: empty keeps them).
  const patch = {
    ...input,
    challengeUsername: dynamic ? (input.challengeUsername ?? null) : undefined,
    challengeJsonField: input.challengeSource === "GENERIC" ? (input.challengeJsonField ?? null) : undefined,
    subjectAltName: input.subjectAltName ?? null,
  };
  return adminAction({ action: "external-scep.update", target: id }, async () => {
    const p = await updateExternalScepProfile(id, patch);
    revalidatePath("/admin/enrollment/scep");
    revalidatePath(`/admin/enrollment/scep/external/${id}`);
    return { ok: `External SCEP profile "${p.name}" saved; CA ${p.ca.sha256} pinned.`, next: { href: "/admin/enrollment/scep", label: "Back to SCEP profiles" } };
  });
}

export async function deleteExternalScepAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "profileId");
  const result = await adminAction({ action: "external-scep.delete", target: id }, async () => {
    await deleteExternalScepProfile(id);
    return { ok: "Deleted." };
  });
  if (result.error) return result;
  revalidatePath("/admin/enrollment/scep");
  redirect("/admin/enrollment/scep");
}
