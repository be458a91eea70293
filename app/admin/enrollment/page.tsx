// Enrollment: the three ways devices come in, with where each stands.
import Link from "next/link";
import { requireAdmin } from "@/app/_lib/session";
import { enrollmentOverview } from "@/lib/inventory/stats";
import { PageHeader } from "@/components/ui/PageHeader";
import { card, link } from "@/components/ui/styles";

export const dynamic = "force-dynamic";
export const metadata = { title: "Enrollment" };

export default async function EnrollmentPage() {
  await requireAdmin();
  const { activeTokens: tokens, enabledRoutes: routes, scepProfiles: scep } = await enrollmentOverview();
  const items = [
    {
      href: "/admin/enrollment/tokens",
      title: "OTA Tokens",
      text: "Enrollment links and QR codes: the user opens the link and installs the profile. For BYOD, remote and unsupervised devices.",
      figure: `${tokens} active token${tokens === 1 ? "" : "s"}`,
    },
    {
      href: "/admin/enrollment/account-driven",
      title: "Account-driven",
      text: "Users sign in with their work account in Settings on the device; routing rules decide the enrollment type and group.",
      figure: `${routes} enabled rule${routes === 1 ? "" : "s"}`,
    },
    {
      href: "/admin/enrollment/scep",
      title: "SCEP Profiles",
      text: "How devices get their identity certificate during enrollment, and the challenge that protects it.",
      figure: `${scep} profile${scep === 1 ? "" : "s"}`,
    },
  ];
  return (
    <div>
      <PageHeader title="Enrollment" />
      <ul className="grid gap-4 md:grid-cols-3">
        {items.map((i) => (
          <li key={i.href} className={card}>
            <h2 className="font-semibold">
              <Link className={link} href={i.href}>
                {i.title}
              </Link>
            </h2>
            <p className="mt-1 text-sm text-slate-700 dark:text-slate-300">{i.text}</p>
            <p className="mt-2 text-sm font-medium">{i.figure}</p>
          </li>
        ))}
      </ul>
    </div>
  );
}
