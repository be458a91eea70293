// Enrollment > SCEP: the SCEP profiles devices get identity certificates through.
import Link from "next/link";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { listScepProfiles } from "@/lib/scep/profiles";
import { listExternalScepProfiles } from "@/lib/scep/external/profiles";
import { ActionForm } from "@/components/ui/ActionForm";
import { deleteExternalScepAction } from "./external/actions";
import { Badge } from "@/components/ui/Badge";
import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/PageHeader";
import { btn, btnSecondary, link, td } from "@/components/ui/styles";
import { CHALLENGE_LABEL } from "@/components/admin/scepLabels";
import { DataTable } from "@/components/ui/DataTable";

export const dynamic = "force-dynamic";
export const metadata = { title: "SCEP Profiles" };

export default async function ScepProfilesPage() {
  const admin = await requireAdmin();
  const writable = canWrite(admin);
  const profiles = await listScepProfiles();
  const externals = await listExternalScepProfiles();
  return (
    <div>
      <PageHeader
        crumb="Enrollment"
        title="SCEP Profiles"
        description="How devices request their identity certificate during enrollment: subject, key and the challenge that proves they may have one. Assign a profile to a token."
        actions={
          writable ? (
            <div className="flex gap-2">
              <Link href="/admin/enrollment/scep/new" className={btn}>
                New SCEP profile
              </Link>
              <Link href="/admin/enrollment/scep/external/new" className={btnSecondary}>
                New external SCEP profile
              </Link>
            </div>
          ) : undefined
        }
      />
      {profiles.length === 0 ? (
        <EmptyState title="No SCEP profiles yet">
          {writable ? (
            <>
              Without one, enrolled devices get no identity certificate.{" "}
              <Link className={link} href="/admin/enrollment/scep/new">
                Create a SCEP profile
              </Link>
              .
            </>
          ) : (
            "An admin can create one."
          )}
        </EmptyState>
      ) : (
        <DataTable caption="SCEP profiles" columns={["Name", "Challenge", { label: "Subject", hideBelow: "sm" }, { label: "Key", hideBelow: "md" }, { label: "Validity", hideBelow: "md" }]}>
          {profiles.map((p) => (
            <tr key={p.id}>
              <td className={td}>
                <Link className={`${link} font-medium`} href={`/admin/enrollment/scep/${p.id}`}>
                  {p.name}
                </Link>
              </td>
              <td className={td}>
                <Badge tone={p.challengeType === "STATIC" ? "amber" : "blue"}>{CHALLENGE_LABEL[p.challengeType]}</Badge>
              </td>
              <td className={`${td} hidden font-mono text-xs sm:table-cell`}>{p.subjectTemplate}</td>
              <td className={`${td} hidden md:table-cell`}>RSA {p.keySize}</td>
              <td className={`${td} hidden md:table-cell`}>{p.validityDays} days</td>
            </tr>
          ))}
        </DataTable>
      )}
      <h2 className="mt-8 mb-2 text-lg font-semibold">External CAs</h2>
      {externals.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No external SCEP CA yet (Microsoft NDES, Okta, step-ca, …).</p>
      ) : (
        <DataTable caption="External SCEP profiles" columns={["Name", "SCEP URL", "Challenge", { label: "Pinned CA (SHA-256)", hideBelow: "md" }, ""]}>
          {externals.map((p) => (
            <tr key={p.id}>
              <td className={`${td} font-medium`}>
                <Link href={`/admin/enrollment/scep/external/${p.id}`} className={link}>
                  {p.name}
                </Link>
              </td>
              <td className={`${td} break-all font-mono text-xs`}>{p.scepUrl}</td>
              <td className={td}>
                <Badge tone={p.challengeSource === "STATIC" ? "amber" : "blue"}>{p.challengeSource}</Badge>
              </td>
              <td className={`${td} hidden break-all font-mono text-xs md:table-cell`} title={p.ca.subject}>
                {p.ca.sha256}
              </td>
              <td className={td}>
                {writable && (
                  <ActionForm
                    action={deleteExternalScepAction}
                    hidden={{ profileId: p.id }}
                    submitLabel="Delete"
                    variant="danger"
                    inline
                    submitAriaLabel={`Delete external SCEP profile ${p.name}`}
                    confirm={{ title: `Delete "${p.name}"?`, message: "Devices keep their certificates; no new profiles use this CA.", confirmLabel: "Delete" }}
                  />
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  );
}
