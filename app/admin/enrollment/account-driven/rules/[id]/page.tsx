// Edit one account-driven routing rule.
import { notFound } from "next/navigation";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { getRoute } from "@/lib/enrollment/routes";
import { AppError } from "@/lib/errors";
import { listGroups } from "@/lib/mdm/groups";
import { listExternalScepProfiles } from "@/lib/scep/external/profiles";
import { RouteFields } from "@/components/admin/RouteFields";
import { ActionForm } from "@/components/ui/ActionForm";
import { PageHeader } from "@/components/ui/PageHeader";
import { card } from "@/components/ui/styles";
import { updateRouteAction } from "../../actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "Edit routing rule" };

export default async function EditRulePage({ params }: { params: Promise<{ id: string }> }) {
  const admin = await requireAdmin();
  const { id } = await params;
  let rule;
  try {
    rule = await getRoute(id);
  } catch (err) {
    if (err instanceof AppError && err.status === 404) notFound();
    throw err;
  }
  const [groups, external] = await Promise.all([listGroups(), listExternalScepProfiles()]);
  return (
    <div className="max-w-4xl">
      <PageHeader crumb="Enrollment › Account-driven" title={`Rule #${rule.position}: ${rule.domain}`} />
      <div className={card}>
        {canWrite(admin) ? (
          <ActionForm action={updateRouteAction} hidden={{ routeId: rule.id }} submitLabel="Save rule" pendingLabel="Saving…" className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
            <RouteFields defaults={rule} groups={groups} external={external} domainPlaceholder="example.com" />
          </ActionForm>
        ) : (
          <p role="alert" className="text-sm">
            Your role is Read-only, so you cannot edit routing rules.
          </p>
        )}
      </div>
    </div>
  );
}
