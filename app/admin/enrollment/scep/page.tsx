// Enrollment > SCEP: the SCEP profiles devices get identity certificates through.
import Link from "next/link";
import { canWrite, requireAdmin } from "@/lib/auth/session";
import { listScepProfiles } from "@/lib/scep/profiles";
import { Badge } from "@/components/ui/Badge";
import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/PageHeader";
import { btn, link, tableWrap, td, th } from "@/components/ui/styles";
import { CHALLENGE_LABEL } from "@/components/admin/scepLabels";

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
        <div className={tableWrap}>
          <table className="min-w-full text-sm">
            <caption className="sr-only">SCEP profiles</caption>
            <thead className="bg-slate-50 dark:bg-slate-950">
              <tr>
                <th scope="col" className={th}>Name</th>
                <th scope="col" className={th}>Challenge</th>
                <th scope="col" className={`${th} hidden sm:table-cell`}>Subject</th>
                <th scope="col" className={`${th} hidden md:table-cell`}>Key</th>
                <th scope="col" className={`${th} hidden md:table-cell`}>Validity</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
              {profiles.map((p) => (
                <tr key={p.id}>
                  <td className={td}><Link className={`${link} font-medium`} href={`/admin/enrollment/scep/${p.id}`}>{p.name}</Link></td>
                  <td className={td}><Badge tone={p.challengeType === "STATIC" ? "amber" : "blue"}>{CHALLENGE_LABEL[p.challengeType]}</Badge></td>
                  <td className={`${td} hidden font-mono text-xs sm:table-cell`}>{p.subjectTemplate}</td>
                  <td className={`${td} hidden md:table-cell`}>RSA {p.keySize}</td>
                  <td className={`${td} hidden md:table-cell`}>{p.validityDays} days</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
