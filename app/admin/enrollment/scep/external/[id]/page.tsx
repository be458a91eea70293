// Enrollment › SCEP › one external SCEP profile: edit it. A new SCEP URL is checked again and
// needs the fingerprint confirmed again; secrets are only replaced, never shown.
import { notFound } from "next/navigation";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { getExternalScepProfileRow, toView } from "@/lib/scep/external/profiles";
import { ExternalScepFields } from "@/components/admin/ExternalScepFields";
import { ActionForm } from "@/components/ui/ActionForm";
import { PageHeader } from "@/components/ui/PageHeader";
import { card, input, label } from "@/components/ui/styles";
import { probeExternalScepAction, updateExternalScepAction } from "../actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "External SCEP profile" };

export default async function ExternalScepProfilePage({ params }: { params: Promise<{ id: string }> }) {
  const admin = await requireAdmin();
  const { id } = await params;
  const row = await getExternalScepProfileRow(id);
  if (!row) notFound();
  const p = toView(row);
  if (!canWrite(admin)) {
    return (
      <div className="max-w-3xl space-y-4">
        <PageHeader crumb="Enrollment › SCEP" title={p.name} description={`External CA at ${p.scepUrl}; pinned SHA-256 ${p.ca.sha256}.`} />
        <p role="alert" className="text-sm">
          Your role is Read-only, so you cannot edit SCEP profiles.
        </p>
      </div>
    );
  }
  return (
    <div className="max-w-3xl space-y-4">
      <PageHeader crumb="Enrollment › SCEP" title={p.name} description={`External CA "${p.ca.subject}". Profiles built from now on use what you save here; devices keep the certificates they have.`} />
      <div className={card}>
        <ActionForm action={probeExternalScepAction} submitLabel="Check the SCEP URL" pendingLabel="Checking…" variant="secondary">
          <div>
            <label className={label} htmlFor="probe-url">
              SCEP URL
            </label>
            <input id="probe-url" name="scepUrl" required type="url" defaultValue={p.scepUrl} className={input} />
          </div>
        </ActionForm>
      </div>
      <div className={card}>
        <ActionForm action={updateExternalScepAction} hidden={{ profileId: p.id }} submitLabel="Save changes" pendingLabel="Saving…">
          <ExternalScepFields
            initial={{
              name: p.name,
              scepUrl: p.scepUrl,
              caSha256: p.ca.sha256,
              challengeSource: p.challengeSource,
              challengeUrl: p.challengeUrl,
              challengeUsername: p.challengeUsername,
              challengeJsonField: p.challengeJsonField,
              hasChallengePassword: p.hasChallengePassword,
              subjectTemplate: p.subjectTemplate,
              subjectAltName: p.subjectAltName,
              keySize: p.keySize,
              keyUsage: p.keyUsage,
              nonExportable: p.nonExportable,
              allowAllAppsAccess: p.allowAllAppsAccess,
            }}
          />
        </ActionForm>
      </div>
    </div>
  );
}
