import Link from "next/link";
import { requireAdmin } from "@/app/_lib/session";
import { ROLE_LABEL } from "@/lib/auth/roles";
import { SideNav } from "@/components/admin/SideNav";
import { SignOutButton } from "@/components/admin/SignOutButton";

export const dynamic = "force-dynamic";

export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  const admin = await requireAdmin();
  return (
    <div className="min-h-screen md:flex">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 dark:focus:bg-slate-900">
        Skip to content
      </a>
      <aside className="border-b border-slate-200 bg-white md:min-h-screen md:w-60 md:shrink-0 md:border-b-0 md:border-r dark:border-slate-800 dark:bg-slate-900">
        <div className="flex items-center justify-between px-4 py-4">
          <Link href="/admin" className="text-lg font-semibold text-brand-700 dark:text-white">
            Open Enroll
          </Link>
        </div>
        <details className="px-2 pb-3 md:hidden">
          <summary className="cursor-pointer rounded-md px-3 py-2 text-sm font-medium">Menu</summary>
          <SideNav />
          <div className="mt-2 flex items-center justify-between gap-2 border-t border-slate-200 px-3 pt-3 text-xs text-slate-600 dark:border-slate-800 dark:text-slate-400">
            <span className="min-w-0 truncate">
              {admin.email} · {ROLE_LABEL[admin.role]}
            </span>
            <SignOutButton />
          </div>
        </details>
        <div className="hidden px-2 md:block">
          <SideNav />
        </div>
        <div className="hidden border-t border-slate-200 px-4 py-3 text-xs text-slate-600 md:block dark:border-slate-800 dark:text-slate-400">
          <div className="truncate" title={admin.email}>
            {admin.email}
          </div>
          <div className="mb-2">{ROLE_LABEL[admin.role]}</div>
          <SignOutButton />
        </div>
      </aside>
      <main id="main" className="min-w-0 flex-1 px-4 py-6 md:px-8">
        {children}
      </main>
    </div>
  );
}
