"use server";
// External SCEP profile actions: check the URL (shows the CA fingerprint to confirm), create,
// delete. Secrets go in once and are never shown again. Each action checks the Admin role.
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { createExternalScepProfile, deleteExternalScepProfile, probeExternalScep } from "@/lib/scep/external/profiles";
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

export async function createExternalScepAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const source = field(form, "challengeSource") || "NONE";
  const dynamic = source === "NDES" || source === "GENERIC";
  const upn = opt(form, "sanNtPrincipalName");
  const input = {
    name: field(form, "name"),
    scepUrl: field(form, "scepUrl"),
    caFingerprint: field(form, "caFingerprint"),
    challengeSource: source,
    staticChallenge: source === "STATIC" ? opt(form, "staticChallenge") : undefined,
    challengeUrl: dynamic ? opt(form, "challengeUrl") : undefined,
    challengeUsername: dynamic ? opt(form, "challengeUsername") : undefined,
    challengePassword: dynamic ? opt(form, "challengePassword") : undefined,
    challengeJsonField: source === "GENERIC" ? opt(form, "challengeJsonField") : undefined,
    subjectTemplate: field(form, "subjectTemplate"),
    subjectAltName: upn ? { ntPrincipalName: upn } : undefined,
    keySize: Number(field(form, "keySize") || 2048),
    keyUsage: (form.has("keyUsageSign") ? 1 : 0) | (form.has("keyUsageEncipher") ? 4 : 0),
    nonExportable: !form.has("allowExport"),
    allowAllAppsAccess: form.has("allowAllAppsAccess"),
  };
  return adminAction({ action: "external-scep.create", target: input.name }, async () => {
    const created = await createExternalScepProfile(input);
    revalidatePath("/admin/enrollment/scep");
    return { ok: `External SCEP profile "${created.profile.name}" saved; CA ${created.profile.ca.sha256} pinned.`, next: { href: "/admin/enrollment/scep", label: "Back to SCEP profiles" } };
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
