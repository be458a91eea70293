// Enrollment > SCEP: the SCEP profiles devices get identity certificates through.
import Link from "next/link";
import { canWrite, requireAdmin } from "@/lib/auth/session";
import { listScepProfiles } from "@/lib/scep/profiles";
import { Badge } from "@/components/ui/Badge";
import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/PageHeader";
import { btn, link, td } from "@/components/ui/styles";
import { CHALLENGE_LABEL } from "@/components/admin/scepLabels";
import { DataTable } from "@/components/ui/DataTable";

export const dynamic = "force-dynamic";
export const metadata = { title: "SCEP Profiles" };


export default async function ScepProfilesPage() {
  const admin = await requireAdmin();
  const writable = canWrite(admin);
  const profiles = await listScepProfiles();
  return (
    <div>
      <PageHeader
        crumb="Enrollment"
        title="SCEP Profiles"
        description="How devices request their identity certificate during enrollment: subject, key and the challenge that proves they may have one. Assign a profile to a token."
        actions={writable ? <Link href="/admin/enrollment/scep/new" className={btn}>New SCEP profile</Link> : undefined}
      />
      {profiles.length === 0 ? (
        <EmptyState title="No SCEP profiles yet">
          {writable ? <>Without one, enrolled devices get no identity certificate. <Link className={link} href="/admin/enrollment/scep/new">Create a SCEP profile</Link>.</> : "An admin can create one."}
        </EmptyState>
      ) : (
        <DataTable caption="SCEP profiles" columns={["Name", "Challenge", { label: "Subject", hideBelow: "sm" }, { label: "Key", hideBelow: "md" }, { label: "Validity", hideBelow: "md" }]}>
          {profiles.map((p) => (
            <tr key={p.id}>
              <td className={td}><Link className={`${link} font-medium`} href={`/admin/enrollment/scep/${p.id}`}>{p.name}</Link></td>
              <td className={td}><Badge tone={p.challengeType === "STATIC" ? "amber" : "blue"}>{CHALLENGE_LABEL[p.challengeType]}</Badge></td>
              <td className={`${td} hidden font-mono text-xs sm:table-cell`}>{p.subjectTemplate}</td>
              <td className={`${td} hidden md:table-cell`}>RSA {p.keySize}</td>
              <td className={`${td} hidden md:table-cell`}>{p.validityDays} days</td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  );
}
