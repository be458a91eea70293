// Enrollment > OTA > Tokens (seed 000): every token with its group, uses, expiry and status,
// searchable and sortable (plain GET links, no JavaScript needed), and per token: copy URL,
// QR code (PNG/SVG), edit, revoke. On a phone the rows stack so every action stays on screen.
import Link from "next/link";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { AppError } from "@/lib/errors";
import { defaultTokenDir, parseTokenQuery, tokenQueryToParams, type TokenQuery, type TokenSort } from "@/lib/enrollment/tokenQuery";
import { seesEnrollmentSecrets } from "@/lib/auth/roles";
import { listEnrollmentTokens } from "@/lib/enrollment/tokens";
import { CopyButton } from "@/components/tokens/CopyButton";
import { RevokeButton } from "@/components/tokens/RevokeButton";
import { StatusBadge } from "@/components/tokens/StatusBadge";
import { formatExpiry } from "@/components/tokens/format";
import { DataTable } from "@/components/ui/DataTable";
import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/PageHeader";
import { SortHeader } from "@/components/ui/SortHeader";
import { FilterError } from "@/components/ui/FilterForm";
import { btn, btnSecondary, input, label, link, td } from "@/components/ui/styles";

export const dynamic = "force-dynamic";
export const metadata = { title: "OTA Tokens" };

const PATH = "/admin/enrollment/tokens";

function Sort({ q, sort, className, children }: { q: TokenQuery; sort: TokenSort; className?: string; children: React.ReactNode }) {
  const active = (q.sort ?? "created") === sort;
  const dir = active ? (q.dir ?? defaultTokenDir(sort)) : undefined;
  const next = active ? (dir === "asc" ? "desc" : "asc") : defaultTokenDir(sort);
  return (
    <SortHeader href={`${PATH}?${tokenQueryToParams({ ...q, sort, dir: next })}`} dir={dir} className={className}>
      {children}
    </SortHeader>
  );
}

const action = "rounded-md border border-slate-300 px-2.5 py-1 text-sm text-slate-800 hover:bg-slate-100 dark:border-slate-600 dark:text-slate-100 dark:hover:bg-slate-800";

export default async function TokensPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const admin = await requireAdmin();
  const writable = canWrite(admin);
  const params = await searchParams;
  let q: TokenQuery = {};
  let error: string | null = null;
  try {
    q = parseTokenQuery(params);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    error = err.message;
  }
  const tokens = await listEnrollmentTokens({ withLinks: seesEnrollmentSecrets(admin.role), query: q });
  const deleted = typeof params.deleted === "string" ? params.deleted : null;
  const devicesKept = Number(params.devices) || 0;
  return (
    <div>
      <PageHeader
        crumb="Enrollment › OTA"
        title="Tokens"
        actions={
          writable ? (
            <Link href={`${PATH}/new`} className={btn}>
              Generate Token
            </Link>
          ) : undefined
        }
      />
      <form method="get" action={PATH} role="search" aria-label="Search tokens" className="mb-4 flex flex-wrap items-end gap-2">
        <div className="min-w-0 flex-1 basis-60">
          <label htmlFor="q" className={label}>
            Search
          </label>
          <input id="q" name="q" type="search" defaultValue={q.q ?? ""} placeholder="Name, group or person" className={input} />
        </div>
        {q.sort && <input type="hidden" name="sort" value={q.sort} />}
        {q.dir && <input type="hidden" name="dir" value={q.dir} />}
        <button type="submit" className={btn}>
          Search
        </button>
        {q.q && (
          <Link href={PATH} className={btnSecondary}>
            Clear
          </Link>
        )}
      </form>
      {deleted && (
        <p role="status" className="mb-4 rounded-md border border-green-300 bg-green-50 px-3 py-2 text-sm text-green-900 dark:border-green-800 dark:bg-green-950 dark:text-green-100">
          Token “{deleted}” deleted. {devicesKept === 0 ? "No device was linked to it." : `${devicesKept} enrolled device${devicesKept === 1 ? "" : "s"} stay${devicesKept === 1 ? "s" : ""} enrolled.`}
        </p>
      )}
      <FilterError error={error} />
      {tokens.length === 0 ? (
        q.q ? (
          <EmptyState title="No tokens match this search">
            <Link className={link} href={PATH}>
              Clear the search
            </Link>{" "}
            to see every token.
          </EmptyState>
        ) : (
          <EmptyState title="No enrollment tokens yet">{writable ? "Generate one to get an enrollment link and QR code." : "An admin can generate one."}</EmptyState>
        )
      ) : (
        <DataTable
          caption="Enrollment tokens"
          head={
            <>
              <Sort q={q} sort="name">
                Name
              </Sort>
              <Sort q={q} sort="group">
                Group
              </Sort>
              <Sort q={q} sort="uses">
                Uses
              </Sort>
              <Sort q={q} sort="expires">
                Expires
              </Sort>
              <th scope="col" className="px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
                Status
              </th>
              <th scope="col" className="px-3 py-2">
                <span className="sr-only">Actions</span>
              </th>
            </>
          }
        >
          {tokens.map((t) => (
            <tr key={t.id} data-token-id={t.id}>
              <td className={`${td} font-medium`}>
                <Link href={`${PATH}/${t.id}`} className={link}>
                  {t.name}
                </Link>
                {t.personEmail && <div className="text-xs font-normal text-slate-600 dark:text-slate-400">For {t.personEmail}</div>}
              </td>
              <td className={td} data-label="Group">
                {t.groupName ?? <span className="text-slate-600 dark:text-slate-400">—</span>}
              </td>
              <td className={`${td} tabular-nums`} data-label="Uses">
                {t.useCount} / {t.maxUses === 0 ? "∞" : t.maxUses}
                {t.reservedUses > 0 ? ` (${t.reservedUses} held)` : ""}
              </td>
              <td className={`${td} whitespace-nowrap`} data-label="Expires">
                {formatExpiry(t.expiresAt)}
              </td>
              <td className={td} data-label="Status">
                <StatusBadge status={t.status} />
              </td>
              <td className={td}>
                <div className="flex flex-wrap gap-2 sm:justify-end">
                  {(t.shortUrl ?? t.url) && <CopyButton value={(t.shortUrl ?? t.url)!} />}
                  {!t.linksHidden && (
                    <Link href={`${PATH}/${t.id}`} className={action} aria-label={`QR code for ${t.name}`}>
                      QR
                    </Link>
                  )}
                  {writable && (
                    <Link href={`${PATH}/${t.id}/edit`} className={action} aria-label={`Edit ${t.name}`}>
                      Edit
                    </Link>
                  )}
                  {writable && t.status !== "revoked" && <RevokeButton id={t.id} name={t.name} />}
                </div>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  );
}
