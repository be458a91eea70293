"use server";
// Account-driven enrollment actions: settings, routing rules, user mapping, token revocation,
// Enrollment SSO. Each one checks the Admin role itself (adminAction).
import { revalidatePath } from "next/cache";
import { revokeUserTokens } from "@/lib/enrollment/accessTokens";
import { updateAddeSettings } from "@/lib/enrollment/addeSettings";
import { configureEsso, disableEsso, getEssoSettings } from "@/lib/enrollment/esso";
import { governanceFromForm } from "@/lib/enrollment/governanceForm";
import { createRoute, deleteRoute, moveRoute, updateRoute } from "@/lib/enrollment/routes";
import { putUser } from "@/lib/enrollment/users";
import { notFound } from "@/lib/errors";
import type { ActionState } from "@/components/ui/actionState";
import { adminAction, field } from "../../_lib/action";

const PATH = "/admin/enrollment/account-driven";

export async function saveAddeSettingsAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "adde.settings" }, async () => {
    await updateAddeSettings({ authMethod: field(form, "authMethod"), oauthClientId: field(form, "oauthClientId"), scepProfileId: field(form, "scepProfileId") || null });
    revalidatePath(PATH);
    return { ok: "Saved." };
  });
}

function routeFromForm(form: FormData) {
  const position = field(form, "position");
  return {
    domain: field(form, "domain"),
    userMatch: field(form, "userMatch") || null,
    modelFamily: field(form, "modelFamily") || null,
    version: field(form, "version"),
    baseUrl: field(form, "baseUrl") || null,
    groupId: field(form, "groupId") || null,
    externalScepProfileId: field(form, "externalScepProfileId") || null,
    enabled: form.has("enabled"),
    ...(position ? { position: Number(position) } : {}),
    deviceLimit: governanceFromForm((name) => (name === "terms" ? String(form.get(name) ?? "") : field(form, name))).deviceLimit,
    terms: String(form.get("terms") ?? "") || null,
  };
}

export async function createRouteAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "adde.route.create", target: field(form, "domain") }, async () => {
    await createRoute(routeFromForm(form));
    revalidatePath(PATH);
    return { ok: "Rule added." };
  });
}

export async function updateRouteAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "routeId");
  return adminAction({ action: "adde.route.update", target: id }, async () => {
    await updateRoute(id, routeFromForm(form));
    revalidatePath(PATH);
    return { ok: "Rule saved.", next: { href: PATH, label: "Back to the routing rules" } };
  });
}

export async function moveRouteAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "routeId");
  const direction = field(form, "direction") === "up" ? "up" : "down";
  return adminAction({ action: `adde.route.move-${direction}`, target: id }, async () => {
    await moveRoute(id, direction);
    revalidatePath(PATH);
    return { ok: "Moved." };
  });
}

export async function deleteRouteAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = field(form, "routeId");
  return adminAction({ action: "adde.route.delete", target: id }, async () => {
    if (!(await deleteRoute(id))) throw notFound("routing rule");
    revalidatePath(PATH);
    return { ok: "Rule deleted." };
  });
}

export async function mapUserAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const identifier = field(form, "identifier");
  return adminAction({ action: "adde.user.map", target: identifier }, async () => {
    const { user, created } = await putUser(identifier, { managedAppleId: field(form, "managedAppleId") || null, displayName: field(form, "displayName") || null });
    revalidatePath(PATH);
    return { ok: `${created ? "Added" : "Updated"} ${user.identifier} → ${user.managedAppleId}.` };
  });
}

export async function revokeUserTokensAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const identifier = field(form, "identifier");
  return adminAction({ action: "adde.user.revoke-tokens", target: identifier }, async (admin) => {
    if (!(await revokeUserTokens(identifier, `session:${admin.email}`))) throw notFound("user");
    revalidatePath(PATH);
    return { ok: "Tokens revoked; the user's devices will ask them to sign in again." };
  });
}

export async function saveEssoAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "adde.esso" }, async () => {
    const file = form.get("configurationProfile");
    let profile = file instanceof File && file.size > 0 ? Buffer.from(await file.arrayBuffer()).toString("base64") : null;
    if (!profile) profile = (await getEssoSettings())?.configurationProfile ?? null;
    if (!profile) return { error: "Upload the configuration profile with the Extensible SSO payload." };
    await configureEsso({
      enabled: form.has("enabled"),
      iTunesStoreID: Number(field(form, "iTunesStoreID")),
      associatedDomains: field(form, "associatedDomains")
        .split(/[\s,]+/)
        .filter(Boolean),
      associatedDomainsEnableDirectDownloads: form.has("directDownloads"),
      configurationProfile: profile,
    });
    revalidatePath(PATH);
    return { ok: "Enrollment SSO saved." };
  });
}

export async function disableEssoAction(_prev: ActionState, _form: FormData): Promise<ActionState> {
  return adminAction({ action: "adde.esso.disable" }, async () => {
    await disableEsso();
    revalidatePath(PATH);
    return { ok: "Enrollment SSO removed." };
  });
}
