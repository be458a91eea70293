"use server";
// Settings > Admins: only Owners manage admins; every attempt is audited by adminAction.
import { revalidatePath } from "next/cache";
import { createAdmin, setAdminDisabled, setAdminRole } from "@/lib/auth/admins";
import { isRole, ROLE_LABEL } from "@/lib/auth/roles";
import type { ActionState } from "@/components/ui/actionState";
import { adminAction, field } from "../../_lib/action";

const PAGE = "/admin/settings/admins";

export async function setAdminRoleAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "id");
  const role = field(form, "role");
  return adminAction({ action: "admin.set-role", target: id, role: "OWNER" }, async () => {
    if (!isRole(role)) return { error: "Choose Owner, Admin or Read-only." };
    const admin = await setAdminRole(id, role);
    revalidatePath(PAGE);
    return { ok: `${admin.email} is now ${ROLE_LABEL[admin.role]}.` };
  });
}

export async function setAdminDisabledAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "id");
  const disable = field(form, "disabled") === "true";
  return adminAction({ action: disable ? "admin.disable" : "admin.enable", target: id, role: "OWNER" }, async (actor) => {
    const admin = await setAdminDisabled(id, disable, actor.id);
    revalidatePath(PAGE);
    return { ok: disable ? `${admin.email} is disabled; their sessions end with their next request.` : `${admin.email} can sign in again.` };
  });
}

export async function addLocalAdminAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const email = field(form, "email");
  return adminAction({ action: "admin.create", target: email.toLowerCase(), role: "OWNER" }, async () => {
    const role = field(form, "role");
    if (!isRole(role)) return { error: "Choose Owner, Admin or Read-only." };
    // Not trimmed: spaces are allowed in passwords.
    const password = String(form.get("password") ?? "");
    const admin = await createAdmin({ email, name: field(form, "name") || null, password, role });
    revalidatePath(PAGE);
    return { ok: `Added ${admin.email} as ${ROLE_LABEL[admin.role]}. Give them the initial password by a separate channel.` };
  });
}
