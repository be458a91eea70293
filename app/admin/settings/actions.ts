"use server";
// Settings actions. CA import needs the Owner role; the rest Admin.
import { revalidatePath } from "next/cache";
import { LIMITS } from "@/lib/http/body";
import { certificatesFromUpload, createPushRequest, pendingPushRequest, vendorSignRequest } from "@/lib/mdm/pushCertificateRequest";
import { readPkcs12Upload, uploadApnsCertificate } from "@/lib/mdm/apnsCertificate";
import { updateBranding } from "@/lib/settings/branding";
import { LOGO_MAX_BYTES, removeBrandingLogo, setBrandingLogo } from "@/lib/settings/brandingLogo";
import { importCaFromPem } from "@/lib/inventory/overview";
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

/** The bytes of an uploaded file (empty when none was chosen or it is too large). */
async function fileBytes(form: FormData, name: string): Promise<Uint8Array> {
  const file = form.get(name);
  if (!(file instanceof File) || file.size === 0 || file.size > LIMITS.json) return new Uint8Array(0);
  return new Uint8Array(await file.arrayBuffer());
}

async function allFiles(form: FormData, name: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const file of form.getAll(name)) {
    if (file instanceof File && file.size > 0 && file.size <= LIMITS.json) out.push(new Uint8Array(await file.arrayBuffer()));
  }
  return out;
}

export async function createPushRequestAction(): Promise<ActionState> {
  return adminAction({ action: "apns.request" }, async () => {
    await createPushRequest();
    revalidatePath("/admin/settings");
    return { ok: "Push key and certificate request generated. The key stays on this server, sealed." };
  });
}

export async function vendorSignAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "apns.vendor_sign" }, async () => {
    const request = await pendingPushRequest();
    if (!request) return { error: "Generate the certificate request first (step 1)." };
    const p12 = await fileBytes(form, "vendorP12File");
    let certPems: string[] = [];
    let keyPem = "";
    if (p12.byteLength) {
      const contents = readPkcs12Upload(p12, String(form.get("vendorPassword") ?? ""));
      certPems = contents.certPems;
      keyPem = contents.keyPem ?? "";
    } else {
      certPems = (await allFiles(form, "vendorCertFile")).flatMap((b) => certificatesFromUpload(b));
      keyPem = Buffer.from(await fileBytes(form, "vendorKeyFile")).toString("utf8");
    }
    for (const b of await allFiles(form, "vendorChainFile")) certPems.push(...certificatesFromUpload(b));
    if (!certPems.length || !keyPem) return { error: "Provide the MDM vendor certificate and its key: a .p12 with its password, or the certificate (.cer/.pem) and the key (.pem)." };
    const signed = vendorSignRequest(request.csrDer, certPems, keyPem);
    return {
      ok: `Request signed with ${signed.vendorSubject}. Upload it at identity.apple.com (step 3).${signed.warnings.length ? ` Warning: ${signed.warnings.join(" ")}` : ""}`,
      download: { filename: "push-certificate-request.b64", contentType: "text/plain", text: signed.request, label: "Download the signed request" },
    };
  });
}

export async function uploadApnsAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "apns.upload" }, async () => {
    const p12 = await fileBytes(form, "apnsP12File");
    const certFile = await fileBytes(form, "apnsCertFile");
    const certText = field(form, "apnsCert");
    const keyPem = await pem(form, "apnsKeyFile", "apnsKey");
    const info = await uploadApnsCertificate({
      p12,
      password: String(form.get("apnsPassword") ?? ""),
      cert: certFile.byteLength ? certFile : certText,
      keyPem: keyPem || undefined,
      confirmTopicChange: form.get("confirmTopicChange") === "on",
    });
    revalidatePath("/admin/settings");
    return {
      ok:
        `Push certificate saved. Topic ${info.topic}, valid until ${info.notAfter.toISOString().slice(0, 10)}. Enrollment links now hand out profiles with this topic.` +
        (info.strandedDevices ? ` ${info.strandedDevices} device(s) enrolled under ${info.previousTopic ?? "another topic"} must enroll again.` : ""),
    };
  });
}

export async function saveBrandingAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "branding.update" }, async () => {
    await updateBranding({ organizationName: field(form, "organizationName"), supportContact: field(form, "supportContact"), offerRootProfile: form.get("offerRootProfile") === "on" });
    const logo = form.get("logo");
    if (form.get("removeLogo") === "on") await removeBrandingLogo();
    else if (logo instanceof File && logo.size > 0) {
      // Checked before reading: an oversized upload is refused without buffering it.
      if (logo.size > LOGO_MAX_BYTES) return { error: `The logo must be at most ${LOGO_MAX_BYTES / 1024} KB.` };
      await setBrandingLogo(new Uint8Array(await logo.arrayBuffer()));
    }
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
