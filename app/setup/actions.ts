"use server";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { setupFirstOwner } from "@/lib/auth/admins";
import { audit } from "@/lib/auth/audit";
import { adminSessionCookie } from "@/lib/auth/sessionCookie";
import { AppError, InputError } from "@/lib/errors";
import { remoteAddressFromHeaders } from "@/lib/http/remote";

export interface SetupState {
  error: string | null;
  fieldErrors?: Record<string, string>;
  /** What was typed (never the passwords), so a refusal without JavaScript keeps it too. */
  values?: { email: string; name: string };
}

export async function createFirstOwner(_prev: SetupState, form: FormData): Promise<SetupState> {
  const email = String(form.get("email") ?? "");
  const name = String(form.get("name") ?? "").trim();
  const password = String(form.get("password") ?? "");
  const values = { email, name };
  if (password !== String(form.get("confirm") ?? "")) {
    return { error: "The passwords do not match.", fieldErrors: { confirm: "The passwords do not match." }, values };
  }
  let owner;
  try {
    owner = await setupFirstOwner({ email, name: name || undefined, password });
  } catch (err) {
    if (err instanceof InputError) return { error: err.message, fieldErrors: err.fields, values };
    if (err instanceof AppError) return { error: err.message, values };
    throw err;
  }
  // The owner just proved who they are by creating the account: sign them in rather than
  // sending them to type the same password again.
  const cookie = await adminSessionCookie(owner);
  (await cookies()).set(cookie.name, cookie.value, cookie.options);
  await audit({ actor: `session:${owner.email}`, action: "admin.setup", target: owner.id, detail: "first owner created and signed in", remoteAddr: remoteAddressFromHeaders(await headers()) });
  redirect("/admin?setup=done");
}
