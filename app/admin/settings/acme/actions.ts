"use server";
// Settings > ACME: DNS domains for http-01 and pre-registered serial numbers (Admin; audited by adminAction).
import { revalidatePath } from "next/cache";
import { importRegisteredDevices, parseSerialCsv, removeRegisteredDevice } from "@/lib/acme/admin";
import { setAllowedDnsDomains } from "@/lib/acme/policy";
import type { ActionState } from "@/components/ui/actionState";
import { adminAction, field } from "../../_lib/action";

const PAGE = "/admin/settings/acme";

export async function saveDnsDomainsAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "acme.dns-domains" }, async () => {
    const domains = await setAllowedDnsDomains(field(form, "domains"));
    revalidatePath(PAGE);
    return { ok: domains.length ? `ACME clients may now obtain certificates for names under ${domains.join(", ")}.` : "DNS names are refused: only devices obtain ACME certificates." };
  });
}

export async function importSerialsAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  return adminAction({ action: "acme.import-serials" }, async (admin) => {
    const file = form.get("file");
    const text = file instanceof File && file.size > 0 ? (file.size > 1024 * 1024 ? null : await file.text()) : field(form, "serials");
    if (text === null) return { error: "The file is larger than 1 MB." };
    const result = await importRegisteredDevices(parseSerialCsv(text), `session:${admin.email}`);
    revalidatePath(PAGE);
    return { ok: `Added ${result.added} serial number(s)${result.alreadyPresent ? `; ${result.alreadyPresent} were already registered` : ""}.` };
  });
}

export async function removeSerialAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const serial = field(form, "serial");
  return adminAction({ action: "acme.remove-serial", target: serial }, async () => {
    await removeRegisteredDevice(serial);
    revalidatePath(PAGE);
    return { ok: `${serial} removed: it can no longer obtain an ACME certificate without an enrollment.` };
  });
}
