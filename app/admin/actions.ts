"use server";
// Dashboard actions: the first-run checklist's one decision, keeping the generated CA.
import { revalidatePath } from "next/cache";
import { recordCaDecision } from "@/lib/inventory/checklist";
import type { ActionState } from "@/components/ui/actionState";
import { adminAction } from "./_lib/action";

export async function keepCaAction(_prev: ActionState, _form: FormData): Promise<ActionState> {
  return adminAction({ action: "ca.keep", role: "OWNER" }, async () => {
    await recordCaDecision("kept");
    revalidatePath("/admin");
    return { ok: "The generated CA is kept." };
  });
}
