"use server";
// Device actions. Each one checks the Admin role itself (adminAction).
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { moveDeviceToGroup } from "@/lib/mdm/groups";
import { removeDevice } from "@/lib/mdm/devices";
import { resendPolicies } from "@/lib/mdm/policies";
import { approveReEnrollment, denyReEnrollment } from "@/lib/mdm/reenrollment";
import { revokeCertificate } from "@/lib/pki/revocation";
import { assertDeviceCertificate } from "@/lib/inventory/deviceDetail";
import { cancelDeviceCommand } from "@/lib/mdm/commands";
import { ACTION_SPECS, isDeviceAction, performDeviceAction } from "@/lib/mdm/deviceActions";
import type { ActionState } from "@/components/ui/actionState";
import { adminAction, field } from "../../_lib/action";

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export async function moveDeviceAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "deviceId");
  const groupId = field(form, "groupId") || null;
  return adminAction({ action: "device.move", target: id }, async () => {
    const { queued } = await moveDeviceToGroup(id, groupId);
    revalidatePath(`/admin/devices/${id}`);
    return { ok: `Moved. ${plural(queued, "command", "commands")} queued.` };
  });
}

export async function resendPoliciesAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "deviceId");
  return adminAction({ action: "device.resend-policies", target: id }, async () => {
    const { queued } = await resendPolicies(id);
    revalidatePath(`/admin/devices/${id}`);
    return { ok: queued ? `${plural(queued, "policy", "policies")} queued again.` : "The device's group has no policies to send." };
  });
}

export async function revokeCertificateAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "deviceId");
  const serial = field(form, "serial");
  return adminAction({ action: "certificate.revoke", target: serial }, async (admin) => {
    // Only a certificate of this device: the form's serial is not trusted on its own.
    await assertDeviceCertificate(id, serial);
    await revokeCertificate(serial, { reason: `revoked by ${admin.email}` });
    revalidatePath(`/admin/devices/${id}`);
    return { ok: "Certificate revoked. The device must enroll again." };
  });
}

export async function approveReEnrollmentAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "deviceId");
  const reEnrollmentId = field(form, "reEnrollmentId");
  return adminAction({ action: "device.reenrollment.approve", target: id }, async (admin) => {
    await approveReEnrollment(reEnrollmentId, admin.email, id);
    revalidatePath(`/admin/devices/${id}`);
    return { ok: "Approved. The device now belongs to the new identity; the previous certificate was revoked." };
  });
}

export async function denyReEnrollmentAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "deviceId");
  const reEnrollmentId = field(form, "reEnrollmentId");
  return adminAction({ action: "device.reenrollment.deny", target: id }, async (admin) => {
    await denyReEnrollment(reEnrollmentId, admin.email, id);
    revalidatePath(`/admin/devices/${id}`);
    return { ok: "Denied. The new identity certificate was revoked; the device keeps its current one." };
  });
}

export async function removeDeviceAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "deviceId");
  const result = await adminAction({ action: "device.remove", target: id }, async () => {
    await removeDevice(id);
    return { ok: "Device removed." };
  });
  if (result.error) return result;
  revalidatePath("/admin/devices");
  redirect("/admin/devices?removed=1");
}

/** One device action (lock, erase, …); the form names it in `action`. */
export async function deviceActionAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "deviceId");
  const action = field(form, "action");
  if (!isDeviceAction(action)) return { error: "Unknown action." };
  return adminAction({ action: `device.${action}`, target: id }, async (admin) => {
    const { requestType } = await performDeviceAction(
      id,
      action,
      {
        message: field(form, "message"),
        phoneNumber: field(form, "phoneNumber"),
        footnote: field(form, "footnote"),
        pin: field(form, "pin"),
        deviceName: field(form, "deviceName"),
        returnToService: form.get("returnToService") === "on",
      },
      `session:${admin.email}`,
    );
    revalidatePath(`/admin/devices/${id}`);
    return { ok: `${ACTION_SPECS[action].label} queued (${requestType}).` };
  });
}

export async function cancelCommandAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "deviceId");
  const identifier = field(form, "identifier");
  const uuid = field(form, "uuid");
  return adminAction({ action: "command.cancel", target: uuid }, async () => {
    const { requestType } = await cancelDeviceCommand(identifier, uuid);
    revalidatePath(`/admin/devices/${id}`);
    return { ok: `${requestType} cancelled.` };
  });
}
