// One SCEP profile: its URLs, every field for editing, secret rotation, deletion.
import { notFound } from "next/navigation";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { getScepProfile, type ChallengeKind } from "@/lib/scep/profiles";
import { ScepFields } from "@/components/admin/ScepFields";
import { ActionForm } from "@/components/ui/ActionForm";
import { PageHeader } from "@/components/ui/PageHeader";
import { card } from "@/components/ui/styles";
import { formatUtc } from "@/components/ui/format";
import { CHALLENGE_LABEL } from "@/components/admin/scepLabels";
import { deleteScepProfileAction, resetNdesPasswordAction, rotateStaticPasswordAction, updateScepProfileAction } from "../actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "SCEP profile" };

function Row({ name, children }: { name: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-1 py-1.5 text-sm sm:grid-cols-[10rem_1fr]">
      <dt className="text-slate-600 dark:text-slate-400">{name}</dt>
      <dd className="min-w-0 break-all">{children}</dd>
    </div>
  );
}

/** The challenge types with a stored secret an admin can replace, and how. */
const SECRET_RESET: Partial<Record<ChallengeKind, Pick<React.ComponentProps<typeof ActionForm>, "action" | "submitLabel" | "pendingLabel" | "confirm">>> = {
  NDES: {
    action: resetNdesPasswordAction,
    submitLabel: "Reset NDES password",
    pendingLabel: "Resetting…",
    confirm: { title: "Reset the NDES password?", message: "The current password stops working at once; update the system that fetches challenges.", confirmLabel: "Reset password" },
  },
  STATIC: {
    action: rotateStaticPasswordAction,
    submitLabel: "Generate new static password",
    pendingLabel: "Generating…",
    confirm: { title: "Replace the static password?", message: "Profiles downloaded before now carry the old password and will fail SCEP.", confirmLabel: "Replace password" },
  },
};

export default async function ScepProfilePage({ params }: { params: Promise<{ id: string }> }) {
  const admin = await requireAdmin();
  const { id } = await params;
  const p = await getScepProfile(id);
  if (!p) notFound();
  const writable = canWrite(admin);
  const hidden = { profileId: p.id };
  const secretReset = SECRET_RESET[p.challengeType];
  return (
    <div className="max-w-3xl space-y-6">
      <PageHeader
        crumb="Enrollment › SCEP"
        title={p.name}
        description={`${CHALLENGE_LABEL[p.challengeType]} challenge · updated ${formatUtc(p.updatedAt)}`}
        actions={
          writable ? (
            <ActionForm
              action={deleteScepProfileAction}
              hidden={hidden}
              submitLabel="Delete profile"
              pendingLabel="Deleting…"
              variant="danger"
              inline
              confirm={{
                title: `Delete "${p.name}"?`,
                message: "Tokens using it stop adding an identity certificate to new enrollment profiles. Certificates already issued stay valid.",
                confirmLabel: "Delete profile",
              }}
            />
          ) : undefined
        }
      />
      <section aria-labelledby="endpoints" className={card}>
        <h2 id="endpoints" className="mb-2 font-semibold">
          Endpoints
        </h2>
        <dl>
          <Row name="SCEP URL">
            <code className="select-all">{p.url}</code>
          </Row>
          {p.challengeUrl && (
            <Row name="NDES challenge URL">
              <code className="select-all">{p.challengeUrl}</code>
            </Row>
          )}
          {p.ndesUsername && (
            <Row name="NDES user name">
              <code className="select-all">{p.ndesUsername}</code>
            </Row>
          )}
          {p.challengeType === "NDES" && <Row name="NDES password cache">{p.ndesCacheSize} unused challenges</Row>}
        </dl>
        {writable && secretReset && (
          <div className="mt-3">
            <ActionForm hidden={hidden} variant="secondary" {...secretReset} />
          </div>
        )}
      </section>
      <section aria-labelledby="settings" className={card}>
        <h2 id="settings" className="mb-3 font-semibold">
          Settings
        </h2>
        {writable ? (
          <ActionForm action={updateScepProfileAction} hidden={hidden} submitLabel="Save changes" pendingLabel="Saving…">
            <ScepFields defaults={p} editing />
          </ActionForm>
        ) : (
          <dl>
            <Row name="Subject template">
              <code>{p.subjectTemplate}</code>
            </Row>
            <Row name="Key">RSA {p.keySize}</Row>
            <Row name="Key usage">{[p.keyUsage & 1 ? "digital signature" : null, p.keyUsage & 4 ? "key encipherment" : null].filter(Boolean).join(", ") || "none"}</Row>
            <Row name="Validity">
              {p.validityDays} days, renewed {p.renewalWindowDays} days before expiry
            </Row>
            <Row name="Private key">
              {p.nonExportable ? "not exportable" : "exportable"}
              {p.allowAllAppsAccess ? ", all apps may use it" : ""}
            </Row>
          </dl>
        )}
      </section>
    </div>
  );
}
