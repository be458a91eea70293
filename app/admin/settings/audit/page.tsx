// Settings › Audit log: every change made in the portal or through the API (and refused
// attempts), with who, what, when and from which address; filters and CSV export.
import Link from "next/link";
import { requireAdmin } from "@/app/_lib/session";
import { localValue, readFilteredPage } from "../../_lib/filteredPage";
import { auditActors, auditFilterToParams, parseAuditFilter, queryAudit } from "@/lib/auth/auditLog";
import { DataTable } from "@/components/ui/DataTable";
import { EmptyState } from "@/components/ui/EmptyState";
import { FilterSelect } from "@/components/ui/FilterSelect";
import { PageHeader } from "@/components/ui/PageHeader";
import { formatUtc } from "@/components/ui/format";
import { FilterActions, FilterError, OrderSelect } from "@/components/ui/FilterForm";
import { btnSecondary, input, label, link, td } from "@/components/ui/styles";

export const dynamic = "force-dynamic";
export const metadata = { title: "Audit log" };

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireAdmin();
  const params = await searchParams;
  const { filter, cursor, page, error } = await readFilteredPage(params, parseAuditFilter, queryAudit, {});
  const actors = await auditActors();
  const filterParams = auditFilterToParams(filter);
  const filtered = [...filterParams.keys()].some((k) => k !== "order");
  const order = filter.order ?? "desc";
  const orderHref = `/admin/settings/audit?${new URLSearchParams([...auditFilterToParams({ ...filter, order: order === "desc" ? "asc" : "desc" })])}`;
  return (
    <div>
      <PageHeader
        crumb="Settings"
        title="Audit log"
        description="Every change made in the portal or through the API, and every refused attempt: who, what, when (UTC) and from which address."
        actions={
          <a href={`/admin/settings/audit/export?${filterParams}`} className={btnSecondary} download>
            Export CSV
          </a>
        }
      />
      <form method="get" action="/admin/settings/audit" role="search" aria-label="Filter the audit log" className="mb-4 grid grid-cols-2 gap-3 lg:grid-cols-4">
        <div className="col-span-2">
          <label htmlFor="q" className={label}>
            Search
          </label>
          <input id="q" name="q" type="search" defaultValue={filter.q ?? ""} placeholder="Actor, action, target, detail, address" className={input} />
        </div>
        <FilterSelect name="actor" label="Who" value={filter.actor} options={actors.map((a) => [a, a])} />
        <div>
          <label htmlFor="action" className={label}>
            Action starts with
          </label>
          <input id="action" name="action" defaultValue={filter.action ?? ""} placeholder="token." className={input} />
        </div>
        <div>
          <label htmlFor="from" className={label}>
            From (UTC)
          </label>
          <input id="from" name="from" type="datetime-local" defaultValue={localValue(filter.from)} className={input} />
        </div>
        <div>
          <label htmlFor="to" className={label}>
            To (UTC)
          </label>
          <input id="to" name="to" type="datetime-local" defaultValue={localValue(filter.to)} className={input} />
        </div>
        <OrderSelect order={order} />
        <FilterActions filtered={filtered} clearHref="/admin/settings/audit" />
      </form>
      <FilterError error={error} />
      {page.entries.length === 0 ? (
        <EmptyState title={filtered ? "No entries match these filters" : "The audit log is empty"}>
          {filtered ? (
            <Link className={link} href="/admin/settings/audit">
              Clear the filters
            </Link>
          ) : (
            "Changes made in the portal or through the API appear here."
          )}
        </EmptyState>
      ) : (
        <DataTable
          caption={`Audit log, ${order === "desc" ? "newest" : "oldest"} first`}
          head={
            <>
              <th
                scope="col"
                className="px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-700 dark:text-slate-300"
                aria-sort={order === "desc" ? "descending" : "ascending"}
              >
                <Link href={orderHref} className="underline underline-offset-2">
                  Time <span aria-hidden>{order === "desc" ? "▼" : "▲"}</span>
                  <span className="sr-only">, sorted {order === "desc" ? "newest first" : "oldest first"}; change</span>
                </Link>
              </th>
              {["Who", "Action", "Target", "Result", "From"].map((h) => (
                <th key={h} scope="col" className="px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-700 dark:text-slate-300">
                  {h}
                </th>
              ))}
            </>
          }
        >
          {page.entries.map((e) => (
            <tr key={e.id}>
              <td className={`${td} whitespace-nowrap`} data-label="Time">
                <time dateTime={e.time.toISOString()}>{formatUtc(e.time)}</time>
              </td>
              <td className={`${td} break-all`} data-label="Who">
                <Link className={link} href={`/admin/settings/audit?${new URLSearchParams({ actor: e.actor })}`}>
                  {e.actor}
                </Link>
              </td>
              <td className={`${td} font-mono text-xs`} data-label="Action">
                {e.action}
              </td>
              <td className={`${td} break-all font-mono text-xs`} data-label="Target">
                {e.target ?? "—"}
              </td>
              <td className={`${td} break-words`} data-label="Result">
                {e.detail ?? "—"}
              </td>
              <td className={`${td} font-mono text-xs`} data-label="From">
                {e.remoteAddr ?? "—"}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <nav aria-label="Pages" className="mt-4 flex gap-2">
        {cursor && (
          <Link className={btnSecondary} href={`/admin/settings/audit?${filterParams}`}>
            First page
          </Link>
        )}
        {page.nextCursor && (
          <Link className={btnSecondary} href={`/admin/settings/audit?${new URLSearchParams([...filterParams, ["cursor", page.nextCursor]])}`}>
            Next page
          </Link>
        )}
      </nav>
    </div>
  );
}
