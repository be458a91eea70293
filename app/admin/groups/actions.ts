"use server";
// Groups & Policies actions. Each one checks the Admin role itself (adminAction).
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { AppError } from "@/lib/errors";
import { LIMITS } from "@/lib/http/body";
import { createGroup, deleteGroup, updateGroup } from "@/lib/mdm/groups";
import { addPolicy, removePolicy, reorderPolicies } from "@/lib/mdm/policies";
import type { ActionState } from "@/components/ui/actionState";
import { adminAction, field } from "../_lib/action";

export async function createGroupAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const name = field(form, "name");
  const result = await adminAction({ action: "group.create", target: name }, async () => {
    const g = await createGroup({ name, description: field(form, "description") || null });
    return { ok: g.id };
  });
  if (result.error || !result.ok) return result;
  revalidatePath("/admin/groups");
  redirect(`/admin/groups/${result.ok}`);
}

export async function updateGroupAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "groupId");
  return adminAction({ action: "group.update", target: id }, async () => {
    await updateGroup(id, { name: field(form, "name"), description: field(form, "description") || null });
    revalidatePath(`/admin/groups/${id}`);
    revalidatePath("/admin/groups");
    return { ok: "Saved." };
  });
}

export async function deleteGroupAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "groupId");
  const result = await adminAction({ action: "group.delete", target: id }, async () => {
    await deleteGroup(id);
    return { ok: "Deleted." };
  });
  if (result.error) return result;
  revalidatePath("/admin/groups");
  redirect("/admin/groups");
}

export async function addProfilePolicyAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const groupId = field(form, "groupId");
  return adminAction({ action: "policy.add-profile", target: groupId }, async () => {
    const file = form.get("mobileconfig");
    if (!(file instanceof File) || file.size === 0) return { error: "Choose a .mobileconfig file to upload." };
    if (file.size > LIMITS.profileUpload) throw new AppError(413, "payload_too_large", `The profile is larger than ${LIMITS.profileUpload / 1024 / 1024} MB.`);
    const p = await addPolicy(groupId, { kind: "PROFILE", mobileconfig: new Uint8Array(await file.arrayBuffer()), name: field(form, "name") || undefined });
    revalidatePath(`/admin/groups/${groupId}`);
    return { ok: `Profile "${p.name}" added.` };
  });
}

export async function addCommandPolicyAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const groupId = field(form, "groupId");
  return adminAction({ action: "policy.add-command", target: groupId }, async () => {
    const raw = field(form, "params");
    let params: Record<string, unknown> | undefined;
    if (raw) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return { error: 'Extra command keys must be a JSON object, like {"Queries": ["OSVersion"]}.' };
        params = parsed as Record<string, unknown>;
      } catch {
        return { error: "Extra command keys are not valid JSON." };
      }
    }
    const p = await addPolicy(groupId, { kind: "COMMAND", requestType: field(form, "requestType"), params, name: field(form, "name") || undefined });
    revalidatePath(`/admin/groups/${groupId}`);
    return { ok: `Command "${p.name}" added.` };
  });
}

export async function addCertificatePolicyAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const groupId = field(form, "groupId");
  return adminAction({ action: "policy.add-certificate", target: groupId }, async () => {
    const days = Number(field(form, "redistributeDays") || 30);
    const p = await addPolicy(groupId, { kind: "CERTIFICATE", externalScepProfileId: field(form, "externalScepProfileId"), redistributeDays: days, name: field(form, "name") || undefined });
    revalidatePath(`/admin/groups/${groupId}`);
    return { ok: `Certificate policy "${p.name}" added; each member gets its own profile (see Enrollment › Log for challenge fetches).` };
  });
}

export async function removePolicyAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const groupId = field(form, "groupId");
  const id = field(form, "policyId");
  return adminAction({ action: "policy.remove", target: id }, async () => {
    await removePolicy(id);
    revalidatePath(`/admin/groups/${groupId}`);
    return { ok: "Policy removed." };
  });
}

/** Called from the reorder list (optimistic UI) with the full new order. */
export async function reorderPoliciesAction(groupId: string, orderedIds: string[]): Promise<ActionState> {
  return adminAction({ action: "policy.reorder", target: groupId }, async () => {
    await reorderPolicies(groupId, orderedIds);
    revalidatePath(`/admin/groups/${groupId}`);
    return { ok: "Order saved." };
  });
}
