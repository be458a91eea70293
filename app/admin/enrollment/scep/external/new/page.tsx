// Enrollment › SCEP › New external SCEP profile: check the CA's URL, confirm its fingerprint, save.
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { ExternalScepFields } from "@/components/admin/ExternalScepFields";
import { ActionForm } from "@/components/ui/ActionForm";
import { PageHeader } from "@/components/ui/PageHeader";
import { card, input, label } from "@/components/ui/styles";
import { createExternalScepAction, probeExternalScepAction } from "../actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "New external SCEP profile" };

export default async function NewExternalScepProfilePage() {
  const admin = await requireAdmin();
  if (!canWrite(admin)) {
    return (
      <div className="max-w-3xl">
        <PageHeader crumb="Enrollment › SCEP" title="New external SCEP profile" />
        <p role="alert" className="text-sm">
          Your role is Read-only, so you cannot create SCEP profiles. Ask an admin.
        </p>
      </div>
    );
  }
  return (
    <div className="max-w-3xl space-y-4">
      <PageHeader
        crumb="Enrollment › SCEP"
        title="New external SCEP profile"
        description="Devices get certificates from a CA you run elsewhere (Microsoft NDES, Okta, step-ca, …). This server pins that CA and hands each device its challenge."
      />
      <div className={card}>
        <ActionForm action={probeExternalScepAction} submitLabel="Check the SCEP URL" pendingLabel="Checking…" variant="secondary">
          <div>
            <label className={label} htmlFor="probe-url">
              SCEP URL
            </label>
            <input id="probe-url" name="scepUrl" required type="url" className={input} />
          </div>
        </ActionForm>
      </div>
      <div className={card}>
        <ActionForm action={createExternalScepAction} submitLabel="Save external SCEP profile" pendingLabel="Saving…">
          <ExternalScepFields />
        </ActionForm>
      </div>
    </div>
  );
}
