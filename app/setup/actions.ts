"use server";
import { redirect } from "next/navigation";
import { setupFirstOwner } from "@/lib/auth/admins";
import { AppError } from "@/lib/errors";

export interface SetupState {
  error: string | null;
}

export async function createFirstOwner(_prev: SetupState, form: FormData): Promise<SetupState> {
  const email = String(form.get("email") ?? "");
  const name = String(form.get("name") ?? "").trim();
  const password = String(form.get("password") ?? "");
  if (password !== String(form.get("confirm") ?? "")) return { error: "The passwords do not match." };
  try {
    await setupFirstOwner({ email, name: name || undefined, password });
  } catch (err) {
    if (err instanceof AppError) return { error: err.message };
    throw err;
  }
  redirect("/signin?setup=done");
}
