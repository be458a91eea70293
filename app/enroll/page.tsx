// Public enroll page (seed 000): verifies the link's token, then shows install steps for
// the detected platform and the Download Profile button; or the reason it cannot be used.
import type { Metadata } from "next";
import { headers } from "next/headers";
import { checkEnrollmentLink } from "@/lib/enrollment/otaService";
import { detectPlatform } from "@/lib/enrollment/platform";
import { remoteAddress } from "@/lib/http/remote";
import { DOWNLOAD_FORM_ID, DownloadProfileForm } from "@/components/enroll/DownloadProfileForm";
import { PersonNotice } from "@/components/enroll/PersonNotice";
import { AcceptTerms } from "@/components/terms/AcceptTerms";
import { EnrollProblem } from "@/components/enroll/EnrollProblem";
import { PlatformSteps } from "@/components/enroll/PlatformSteps";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Enroll your device", robots: { index: false, follow: false }, referrer: "no-referrer" };

const TROUBLE: { issue: string; fix: string }[] = [
  { issue: "Profile won't install", fix: "The link may have expired. Ask your IT team for a new one." },
  { issue: "\"Invalid Profile\" warning", fix: "The link was altered or is not from this server. Ask your IT team to regenerate it." },
  { issue: "Enrollment hangs at \"Configuring Device\"", fix: "Make sure the device is online and can reach this site, then try again." },
  { issue: "Profile is untrusted", fix: "Install your organisation's root certificate profile first, then this one." },
];

export default async function EnrollPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const token = typeof params.token === "string" ? params.token : null;
  const h = await headers();
  const verdict = await checkEnrollmentLink(token, { remoteAddr: remoteAddress(new Request("http://enroll.invalid/", { headers: h })) });
  const platform = detectPlatform(h.get("user-agent")) ?? "ios";

  return (
    <main className="mx-auto w-full max-w-md px-4 pb-12 pt-8 sm:pt-12">
      <header className="mb-6">
        <p className="text-sm font-medium text-brand-700 dark:text-brand-100">{verdict.ok ? verdict.organization : "Device enrollment"}</p>
        <h1 className="mt-1 text-2xl font-semibold leading-tight">Enroll your device</h1>
      </header>
      {verdict.ok ? (
        <div className="space-y-6">
          <p className="text-sm leading-6 text-slate-700 dark:text-slate-300">
            Install the management profile to connect this device to {verdict.organization}. Your organisation can then set up work apps, Wi-Fi and
            security settings.
          </p>
          <div className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <PlatformSteps initial={platform} />
          </div>
          {verdict.personEmail ? <PersonNotice email={verdict.personEmail} /> : null}
          {verdict.terms ? <AcceptTerms terms={verdict.terms} formId={DOWNLOAD_FORM_ID} /> : null}
          <DownloadProfileForm />
          <details className="rounded-xl border border-slate-200 px-4 py-3 text-sm dark:border-slate-800">
            <summary className="cursor-pointer font-medium">Having trouble?</summary>
            <dl className="mt-3 space-y-3">
              {TROUBLE.map((t) => (
                <div key={t.issue}>
                  <dt className="font-medium">{t.issue}</dt>
                  <dd className="text-slate-600 dark:text-slate-400">{t.fix}</dd>
                </div>
              ))}
            </dl>
          </details>
          <p className="text-xs text-slate-500 dark:text-slate-400">
            Enrollment link “{verdict.tokenName}”
            {verdict.expiresAt ? `, valid until ${verdict.expiresAt.toUTCString().replace(/:\d\d GMT$/, " UTC")}` : ""}.
          </p>
        </div>
      ) : (
        <EnrollProblem reason={verdict.reason} />
      )}
    </main>
  );
}
