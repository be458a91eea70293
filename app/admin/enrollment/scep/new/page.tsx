import { canWrite, requireAdmin } from "@/app/_lib/session";
import { NEW_SCEP_DEFAULTS, ScepFields } from "@/components/admin/ScepFields";
import { ActionForm } from "@/components/ui/ActionForm";
import { PageHeader } from "@/components/ui/PageHeader";
import { card } from "@/components/ui/styles";
import { createScepProfileAction } from "../actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "New SCEP profile" };

export default async function NewScepProfilePage() {
  const admin = await requireAdmin();
  if (!canWrite(admin)) {
    return (
      <div className="max-w-3xl">
        <PageHeader crumb="Enrollment › SCEP" title="New SCEP profile" />
        <p role="alert" className="text-sm">
          Your role is Read-only, so you cannot create SCEP profiles. Ask an admin.
        </p>
      </div>
    );
  }
  return (
    <div className="max-w-3xl">
      <PageHeader crumb="Enrollment › SCEP" title="New SCEP profile" />
      <div className={card}>
        <ActionForm action={createScepProfileAction} submitLabel="Create SCEP profile" pendingLabel="Creating…">
          <ScepFields defaults={NEW_SCEP_DEFAULTS} />
        </ActionForm>
      </div>
    </div>
  );
}
