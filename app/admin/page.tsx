// Dashboard: device counts by status, enrollments per day, and the latest errors with
// what to do about them (reasons catalogue).
import Link from "next/link";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { dashboardStats } from "@/lib/inventory/stats";
import { APNS_EXPIRY_WARNING_DAYS, apnsStatus, type ApnsStatus } from "@/lib/mdm/apnsCertificate";
import { setupChecklist } from "@/lib/inventory/checklist";
import { hasRole } from "@/lib/auth/roles";
import { SetupChecklist } from "@/components/admin/SetupChecklist";
import { EnrollmentChart } from "@/components/admin/EnrollmentChart";
import { PageHeader } from "@/components/ui/PageHeader";
import { EmptyState } from "@/components/ui/EmptyState";
import { btn, btnSecondary, card, link } from "@/components/ui/styles";
import { formatUtc, relativeTime } from "@/components/ui/format";

export const dynamic = "force-dynamic";
export const metadata = { title: "Dashboard" };

const plural = (n: number, word: string) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;

function Stat({ label, value, href, tone }: { label: string; value: number; href: string; tone: string }) {
  return (
    <Link href={href} className={`${card} block hover:border-brand-500 focus-visible:border-brand-500`}>
      <div className="flex items-center gap-2 text-sm text-slate-600 dark:text-slate-400">
        <span aria-hidden className={`inline-block h-2.5 w-2.5 rounded-full ${tone}`} />
        {label}
      </div>
      <div className="mt-1 text-3xl font-semibold tabular-nums">{value.toLocaleString("en-US")}</div>
    </Link>
  );
}

const alertTone = {
  red: "border-red-300 bg-red-50 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100",
  amber: "border-amber-300 bg-amber-50 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100",
  ok: "border-slate-200 bg-white text-slate-700 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-300",
} as const;

/** Push is what makes enrolled devices reachable: its state is on the dashboard, not only in Settings. */
function PushCertificateStatus({ apns }: { apns: ApnsStatus }) {
  const settings = (
    <Link className={link} href="/admin/settings#apns">
      Settings → APNs push certificate
    </Link>
  );
  let tone: keyof typeof alertTone = "ok";
  let text: React.ReactNode;
  if (apns.labWithoutPush) {
    tone = "amber";
    text = (
      <>
        Lab setting <code>ALLOW_ENROLL_WITHOUT_PUSH</code> is on and there is no push certificate: devices enrolled now get a placeholder push topic, can never be woken, and must enroll again once a
        certificate is added ({settings}).
      </>
    );
  } else if (!apns.certificate) {
    tone = "red";
    text = <>No APNs push certificate: enrollment links are refused until one is added in {settings}.</>;
  } else if (apns.expired) {
    tone = "red";
    text = (
      <>
        The APNs push certificate expired on {formatUtc(apns.certificate.notAfter)}: no device can be woken. Renew it at identity.apple.com (same Apple Account, Renew) and upload it in {settings}.
      </>
    );
  } else if (apns.expiresSoon) {
    tone = "amber";
    text = (
      <>
        The APNs push certificate expires on {formatUtc(apns.certificate.notAfter)} (in {apns.daysLeft} days). Renew it at identity.apple.com with the same Apple Account (Renew, not Create) and upload
        it in {settings}.
      </>
    );
  } else {
    text = (
      <>
        APNs push certificate valid until {formatUtc(apns.certificate.notAfter)} (warning {APNS_EXPIRY_WARNING_DAYS} days ahead).
      </>
    );
  }
  return (
    <div data-testid="push-status" className="space-y-2">
      <p role={tone === "ok" ? undefined : "alert"} className={`rounded-md border px-3 py-2 text-sm ${alertTone[tone]}`}>
        {text}
      </p>
      {apns.labSetting && !apns.labWithoutPush && (
        <p role="alert" className={`rounded-md border px-3 py-2 text-sm ${alertTone.amber}`}>
          Lab setting <code>ALLOW_ENROLL_WITHOUT_PUSH</code> is on. It has no effect while a push certificate is installed; remove it from the server&rsquo;s environment so enrollment is never allowed
          without push.
        </p>
      )}
    </div>
  );
}

export default async function Dashboard({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { setup } = await searchParams;
  const admin = await requireAdmin();
  const [s, apns, checklist] = await Promise.all([dashboardStats(), apnsStatus(), setupChecklist()]);
  const writable = canWrite(admin);
  const now = new Date();
  return (
    <div className="space-y-6">
      <PageHeader
        title="Dashboard"
        description={[plural(s.total, "device"), plural(s.groups, "group"), plural(s.activeTokens, "active token"), plural(s.scepProfiles, "SCEP profile")].join(" · ")}
        actions={
          writable ? (
            <>
              <Link href="/admin/enrollment/tokens/new" className={btn}>
                Generate Token
              </Link>
              <Link href="/admin/groups" className={btnSecondary}>
                Groups &amp; Policies
              </Link>
            </>
          ) : undefined
        }
      />
      {setup === "done" && (
        <p role="status" className="rounded-md border border-green-300 bg-green-50 px-3 py-2 text-sm text-green-900 dark:border-green-800 dark:bg-green-950 dark:text-green-200">
          Your owner account is ready and you are signed in. The steps below get the server ready for devices.
        </p>
      )}
      {!checklist.complete && <SetupChecklist checklist={checklist} owner={hasRole(admin.role, "OWNER")} />}
      <PushCertificateStatus apns={apns} />
      <section aria-label="Devices by status" className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat label="Managed" value={s.byStatus.MANAGED} href="/admin/devices?status=MANAGED" tone="bg-green-600" />
        <Stat label="Enrolled" value={s.byStatus.ENROLLED} href="/admin/devices?status=ENROLLED" tone="bg-blue-600" />
        <Stat label="Pending" value={s.byStatus.PENDING} href="/admin/devices?status=PENDING" tone="bg-amber-500" />
        <Stat label="Errors (24 h)" value={s.errorsLast24h} href="/admin/log?outcome=ERROR" tone="bg-red-600" />
      </section>
      {(s.reEnrollments.pending > 0 || s.reEnrollments.recent.length > 0) && (
        <section className={card} aria-labelledby="reenrollments">
          <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
            <h2 id="reenrollments" className="font-semibold">
              Re-enrollments
            </h2>
            <span className="text-sm text-slate-600 dark:text-slate-400">
              {plural(s.reEnrollments.applied7d, "re-enrollment")} in 7 days · {s.reEnrollments.pending.toLocaleString("en-US")} waiting for approval
            </span>
          </div>
          <p className="mb-2 text-sm text-slate-700 dark:text-slate-300">
            Known devices that authenticated with a new identity certificate. Unexpected ones may be someone enrolling in a device&apos;s place: check them on the device page.
          </p>
          <ul className="divide-y divide-slate-200 text-sm dark:divide-slate-800">
            {s.reEnrollments.recent.map((r) => (
              <li key={r.id} className="flex flex-wrap items-baseline justify-between gap-2 py-2">
                <Link className={link} href={`/admin/devices/${r.device.id}#reenrollments`}>
                  {r.device.name}
                </Link>
                <span>
                  <span className={r.status === "PENDING" ? "font-medium text-amber-800 dark:text-amber-300" : ""}>
                    {r.status === "PENDING" ? "Waiting for approval" : r.status === "DENIED" ? "Denied" : "Applied"}
                  </span>
                  {" · "}
                  <time dateTime={r.createdAt.toISOString()} title={formatUtc(r.createdAt)} className="text-slate-600 dark:text-slate-400">
                    {relativeTime(r.createdAt, now)}
                  </time>
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <div className="grid gap-6 xl:grid-cols-5">
        <section className={`${card} xl:col-span-3`} aria-labelledby="per-day">
          <h2 id="per-day" className="mb-3 font-semibold">
            Enrollments per day
          </h2>
          {s.enrollmentsPerDay.every((d) => d.count === 0) ? (
            <EmptyState title="No enrollments in the last 14 days">
              Share an enrollment link from{" "}
              <Link className={link} href="/admin/enrollment/tokens">
                OTA Tokens
              </Link>
              ; enrolled devices show up here.
            </EmptyState>
          ) : (
            <EnrollmentChart data={s.enrollmentsPerDay} />
          )}
        </section>
        <section className={`${card} xl:col-span-2`} aria-labelledby="recent-errors">
          <div className="mb-3 flex items-baseline justify-between gap-2">
            <h2 id="recent-errors" className="font-semibold">
              Recent errors
            </h2>
            <Link href="/admin/log?outcome=ERROR" className={`${link} text-sm`}>
              All errors
            </Link>
          </div>
          {s.recentErrors.length === 0 ? (
            <EmptyState title="No enrollment errors">Failed steps appear here with how to fix them.</EmptyState>
          ) : (
            <ul className="divide-y divide-slate-200 dark:divide-slate-800">
              {s.recentErrors.map((e) => (
                <li key={e.id} className="py-2.5 text-sm">
                  <div className="flex flex-wrap items-baseline justify-between gap-x-2">
                    <span className="font-medium">{e.info?.title ?? e.reason ?? e.step}</span>
                    <time dateTime={e.time.toISOString()} title={formatUtc(e.time)} className="text-xs text-slate-600 dark:text-slate-400">
                      {relativeTime(e.time, now)}
                    </time>
                  </div>
                  <p className="mt-0.5 break-words text-slate-700 dark:text-slate-300">{e.message}</p>
                  {e.info && (
                    <p className="mt-1 text-slate-700 dark:text-slate-300">
                      <span className="font-medium">Fix: </span>
                      {e.info.fix}{" "}
                      <Link className={link} href={`/admin/log/reasons#${e.reason}`}>
                        More
                      </Link>
                    </p>
                  )}
                  {e.deviceIdentifier && (
                    <Link className={`${link} text-xs`} href={`/admin/log?device=${encodeURIComponent(e.deviceIdentifier)}`}>
                      Device {e.deviceIdentifier}
                    </Link>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </div>
  );
}
