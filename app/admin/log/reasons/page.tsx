// The reasons catalogue: every reason code the log can carry, what it means and how to fix
// it. Log lines link here with #code.
import Link from "next/link";
import { requireAdmin } from "@/app/_lib/session";
import { REASONS, type ReasonInfo } from "@/lib/log/reasons";
import { PageHeader } from "@/components/ui/PageHeader";
import { link } from "@/components/ui/styles";

export const dynamic = "force-dynamic";
export const metadata = { title: "Error reasons" };

export default async function ReasonsPage() {
  await requireAdmin();
  const entries = Object.entries(REASONS as Record<string, ReasonInfo>);
  return (
    <div>
      <PageHeader crumb="Enrollment Log" title="Error reasons and fixes" description="What each reason in the Enrollment Log means and what to do about it." />
      <dl className="space-y-3">
        {entries.map(([code, info]) => (
          <div
            key={code}
            id={code}
            className="scroll-mt-4 rounded-lg border border-slate-200 bg-white p-4 target:border-brand-500 target:ring-2 target:ring-brand-500 dark:border-slate-800 dark:bg-slate-900"
          >
            <dt className="flex flex-wrap items-baseline justify-between gap-2">
              <span className="font-semibold">{info.title}</span>
              <code className="text-xs text-slate-600 dark:text-slate-400">{code}</code>
            </dt>
            <dd className="mt-1 text-sm">
              <p>
                <span className="font-medium">Fix: </span>
                {info.fix}
              </p>
              {info.userMessage && (
                <p className="mt-1 text-slate-700 dark:text-slate-300">
                  <span className="font-medium">What the user sees: </span>
                  {info.userMessage} {info.userFix}
                </p>
              )}
              <Link className={`${link} mt-1 inline-block text-xs`} href={`/admin/log?reason=${code}`}>
                Log lines with this reason
              </Link>
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
