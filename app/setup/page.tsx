import { redirect } from "next/navigation";
import { adminCount } from "@/lib/auth/admins";
import { SetupForm } from "@/components/auth/SetupForm";

export const dynamic = "force-dynamic";
export const metadata = { title: "Set up" };

// One-time: creates the first owner. Once any admin exists this page only redirects.
export default async function SetupPage() {
  if ((await adminCount()) > 0) redirect("/signin");
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-4 py-10">
      <h1 className="mb-1 text-2xl font-semibold">Welcome to Open Enroll</h1>
      <p className="mb-6 text-sm text-slate-600 dark:text-slate-400">Create the first owner account. It is also the break-glass account if your identity provider is unavailable.</p>
      <SetupForm />
    </main>
  );
}
