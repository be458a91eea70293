// Enrollment > OTA > Tokens (seed 000): every token with its group, uses, expiry and status,
// and per token: copy URL, QR code (PNG/SVG), revoke.
import Link from "next/link";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { listEnrollmentTokens } from "@/lib/enrollment/tokens";
import { CopyButton } from "@/components/tokens/CopyButton";
import { RevokeButton } from "@/components/tokens/RevokeButton";
import { StatusBadge } from "@/components/tokens/StatusBadge";
import { formatExpiry } from "@/components/tokens/format";

export const dynamic = "force-dynamic";
export const metadata = { title: "OTA Tokens" };

export default async function TokensPage() {
  const admin = await requireAdmin();
  const writable = canWrite(admin);
  const tokens = await listEnrollmentTokens();
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <p className="text-sm text-slate-500">Enrollment › OTA</p>
          <h1 className="text-2xl font-semibold">Tokens</h1>
        </div>
        {writable && (
          <Link href="/admin/enrollment/tokens/new" className="rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700">
            Generate Token
          </Link>
        )}
      </div>
      {tokens.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 p-6 text-sm text-slate-600 dark:border-slate-700 dark:text-slate-400">
          No enrollment tokens yet. {writable ? "Generate one to get an enrollment link and QR code." : "An admin can generate one."}
        </p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
          <table className="min-w-full text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500 dark:bg-slate-950">
              <tr>
                <th scope="col" className="px-4 py-2">Name</th>
                <th scope="col" className="px-4 py-2">Group</th>
                <th scope="col" className="px-4 py-2">Uses</th>
                <th scope="col" className="px-4 py-2">Expires</th>
                <th scope="col" className="px-4 py-2">Status</th>
                <th scope="col" className="px-4 py-2"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
              {tokens.map((t) => (
                <tr key={t.id} data-token-id={t.id}>
                  <td className="px-4 py-2 font-medium">
                    <Link href={`/admin/enrollment/tokens/${t.id}`} className="text-brand-700 hover:underline dark:text-brand-100">{t.name}</Link>
                  </td>
                  <td className="px-4 py-2">{t.groupName ?? <span className="text-slate-400">—</span>}</td>
                  <td className="px-4 py-2 tabular-nums">{t.useCount} / {t.maxUses === 0 ? "∞" : t.maxUses}{t.reservedUses > 0 ? ` (${t.reservedUses} held)` : ""}</td>
                  <td className="px-4 py-2 whitespace-nowrap">{formatExpiry(t.expiresAt)}</td>
                  <td className="px-4 py-2"><StatusBadge status={t.status} /></td>
                  <td className="px-4 py-2">
                    <div className="flex flex-wrap justify-end gap-2">
                      {(t.shortUrl ?? t.url) && <CopyButton value={(t.shortUrl ?? t.url)!} />}
                      <Link href={`/admin/enrollment/tokens/${t.id}`} className="rounded-md border border-slate-300 px-2.5 py-1 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" aria-label={`QR code for ${t.name}`}>QR</Link>
                      {writable && t.status !== "revoked" && <RevokeButton id={t.id} name={t.name} />}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
