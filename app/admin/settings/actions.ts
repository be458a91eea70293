"use server";
// Settings actions. CA import needs the Owner role; the rest Admin.
import { revalidatePath } from "next/cache";
import { LIMITS } from "@/lib/http/body";
import { uploadApnsCertificate } from "@/lib/settings/apnsCertificate";
import { updateBranding } from "@/lib/settings/branding";
import { importCaFromPem } from "@/lib/settings/overview";
import { updateReEnrollmentSettings } from "@/lib/settings/reenrollment";
import { setDeviceLimitSetting } from "@/lib/enrollment/deviceLimit";
import type { ActionState } from "@/components/ui/actionState";
import { adminAction, field } from "../_lib/action";

/** A PEM from the file input, or from the textarea when no file was chosen. */
async function pem(form: FormData, fileField: string, textField: string): Promise<string> {
  const file = form.get(fileField);
  if (file instanceof File && file.size > 0) {
    if (file.size > LIMITS.json) return "";
    return Buffer.from(await file.arrayBuffer()).toString("utf8");
  }
  return field(form, textField);
}

export async function importCaAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "ca.import", role: "OWNER" }, async () => {
    const certPem = await pem(form, "caCertFile", "caCert");
    const keyPem = await pem(form, "caKeyFile", "caKey");
    if (!certPem || !keyPem) return { error: "Provide both the CA certificate and its private key (PEM)." };
    const info = await importCaFromPem(certPem, keyPem);
    revalidatePath("/admin/settings");
    return { ok: `CA imported: ${info.subject}. New enrollment profiles trust it; devices enrolled under the old CA must enroll again.` };
  });
}

export async function uploadApnsAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "apns.upload" }, async () => {
    const certPem = await pem(form, "apnsCertFile", "apnsCert");
    const keyPem = await pem(form, "apnsKeyFile", "apnsKey");
    if (!certPem || !keyPem) return { error: "Provide both the push certificate and its private key (PEM)." };
    const info = await uploadApnsCertificate(certPem, keyPem);
    revalidatePath("/admin/settings");
    return { ok: `Push certificate saved. Topic ${info.topic}, valid until ${info.notAfter.toISOString().slice(0, 10)}.` };
  });
}

export async function saveBrandingAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "branding.update" }, async () => {
    await updateBranding({ organizationName: field(form, "organizationName"), supportContact: field(form, "supportContact") });
    revalidatePath("/admin/settings");
    return { ok: "Saved." };
  });
}

export async function saveReEnrollmentAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "reenrollment.update" }, async () => {
    await updateReEnrollmentSettings({ policy: field(form, "policy") });
    revalidatePath("/admin/settings");
    return { ok: "Saved. The rule applies to the next Authenticate of a known device." };
  });
}

export async function saveDeviceLimitAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "enrollment.deviceLimit.update" }, async () => {
    const raw = field(form, "deviceLimit") || "0";
    const limit = await setDeviceLimitSetting(/^\d+$/.test(raw) ? Number(raw) : NaN);
    revalidatePath("/admin/settings");
    return { ok: limit === 0 ? "Saved: no per-user device limit." : `Saved: at most ${limit} active enrollment(s) per person.` };
  });
}
