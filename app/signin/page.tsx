import { redirect } from "next/navigation";
import { config } from "@/lib/config";
import { adminCount } from "@/lib/auth/admins";
import { currentAdmin } from "@/app/_lib/session";
import { safeCallbackPath } from "@/lib/auth/callbackUrl";
import { SignInForm } from "@/components/auth/SignInForm";
import { getBranding, organizationDisplayName, PRODUCT_NAME } from "@/lib/settings/branding";
import { brandingLogoUrl } from "@/lib/settings/brandingLogo";

export const dynamic = "force-dynamic";
export const metadata = { title: "Sign in" };

const ERRORS: Record<string, string> = {
  CredentialsSignin: "The email or password is not correct.",
  TooManyAttempts: "Too many failed sign-ins for this account. Wait 15 minutes and try again.",
  AccessDenied: "Your account is not allowed to use this portal. Ask an owner to add you, or check the IdP allow-list.",
  OAuthCallback: "The identity provider's answer could not be verified. Try again.",
  OAuthSignin: "The identity provider could not be reached. Try again or use your local account.",
  SessionRequired: "Please sign in to continue.",
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  if ((await adminCount()) === 0) redirect("/setup");
  if (await currentAdmin()) redirect("/admin");
  const params = await searchParams;
  const errorCode = typeof params.error === "string" ? params.error : null;
  const error = errorCode ? (ERRORS[errorCode] ?? "Sign-in failed. Try again.") : null;
  const callbackUrl = safeCallbackPath(params.callbackUrl);
  const idp = config().adminOidc;
  const branding = await getBranding();
  const [organization, logoUrl] = await Promise.all([organizationDisplayName(branding), brandingLogoUrl()]);
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-4 py-10">
      {/* eslint-disable-next-line @next/next/no-img-element -- our own small logo route */}
      {logoUrl && <img src={logoUrl} alt="" height={40} className="mb-3 max-h-10 max-w-40 self-start" />}
      <h1 className="mb-1 text-2xl font-semibold">{organization}</h1>
      <p className="mb-6 text-sm text-slate-600 dark:text-slate-400">{organization === PRODUCT_NAME ? "Sign in to the admin portal." : `Sign in to the ${PRODUCT_NAME} admin portal.`}</p>
      {params.setup === "done" && !error && (
        <p role="status" className="mb-4 rounded-md border border-green-300 bg-green-50 px-3 py-2 text-sm text-green-800 dark:border-green-800 dark:bg-green-950 dark:text-green-200">
          Your owner account is ready. Sign in with it.
        </p>
      )}
      {error && (
        <p role="alert" className="mb-4 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
          {error}
        </p>
      )}
      <SignInForm idpName={idp?.name ?? null} callbackUrl={callbackUrl} />
      {branding.supportContact && <p className="mt-6 text-sm text-slate-600 dark:text-slate-400">Need help? Contact {branding.supportContact}.</p>}
    </main>
  );
}
