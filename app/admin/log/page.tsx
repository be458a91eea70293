// Enrollment Log: time, step, outcome, reason, device, token, user, remote address; filters
// (outcome, step, token, device, time range, free text), CSV export, each reason linked to its fix.
import Link from "next/link";
import { requireAdmin } from "@/app/_lib/session";
import { localValue, readFilteredPage } from "../_lib/filteredPage";
import { logFacets, logFilterToParams, OUTCOMES, parseLogFilter, queryLog, tokenNamesFor } from "@/lib/log/query";
import { reasonInfo } from "@/lib/log/reasons";
import { OutcomeBadge } from "@/components/ui/Badge";
import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/PageHeader";
import { formatUtc } from "@/components/ui/format";
import { btnSecondary, input, label, link, td } from "@/components/ui/styles";
import { FilterSelect } from "@/components/ui/FilterSelect";
import { DataTable } from "@/components/ui/DataTable";
import { FilterActions, FilterError, OrderSelect } from "@/components/ui/FilterForm";
import { Repeats } from "@/components/log/Repeats";

export const dynamic = "force-dynamic";
export const metadata = { title: "Enrollment Log" };

const OUTCOME_LABEL = { OK: "OK", WARNING: "Warning", ERROR: "Error" } as const;

export default async function LogPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireAdmin();
  const params = await searchParams;
  const { filter, cursor, page, error } = await readFilteredPage(params, parseLogFilter, queryLog, {});
  const [facets, tokenNames] = await Promise.all([logFacets(), tokenNamesFor(page.lines)]);
  const filterParams = logFilterToParams(filter);
  const filtered = [...filterParams.keys()].some((k) => k !== "order");
  const newestFirst = (filter.order ?? "desc") === "desc";
  const csvHref = `/admin/log/export?${filterParams}`;
  return (
    <div>
      <PageHeader
        title="Enrollment Log"
        description={
          <>
            Every enrollment step with its outcome. Errors name their reason;{" "}
            <Link className={link} href="/admin/log/reasons">
              the reasons catalogue
            </Link>{" "}
            says how to fix each one. Times are UTC.
          </>
        }
        actions={
          <a href={csvHref} className={btnSecondary} download>
            Export CSV
          </a>
        }
      />
      <form method="get" action="/admin/log" role="search" aria-label="Filter the log" className="mb-4 grid grid-cols-2 gap-3 lg:grid-cols-4">
        <div className="col-span-2">
          <label htmlFor="q" className={label}>
            Search
          </label>
          <input id="q" name="q" type="search" defaultValue={filter.q ?? ""} placeholder="Message, reason, device, user, address" className={input} />
        </div>
        <fieldset className="col-span-2">
          <legend className={label}>Outcome</legend>
          <div className="flex flex-wrap gap-4 pt-2 text-sm">
            {OUTCOMES.map((o) => (
              <label key={o} className="inline-flex items-center gap-1.5">
                <input type="checkbox" name="outcome" value={o} defaultChecked={filter.outcomes?.includes(o)} />
                {OUTCOME_LABEL[o]}
              </label>
            ))}
          </div>
        </fieldset>
        <FilterSelect name="step" label="Step" value={filter.step} options={facets.steps.map((s) => [s, s])} />
        <FilterSelect name="reason" label="Reason" value={filter.reason} options={facets.reasons.map((r) => [r, reasonInfo(r)?.title ?? r])} />
        <div>
          <label htmlFor="token" className={label}>
            Token ID
          </label>
          <input id="token" name="token" defaultValue={filter.tokenId ?? ""} className={input} />
        </div>
        <div>
          <label htmlFor="device" className={label}>
            Device (UDID)
          </label>
          <input id="device" name="device" defaultValue={filter.device ?? ""} className={input} />
        </div>
        <div>
          <label htmlFor="user" className={label}>
            User
          </label>
          <input id="user" name="user" defaultValue={filter.user ?? ""} className={input} />
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
        <OrderSelect order={filter.order ?? "desc"} />
        <FilterActions filtered={filtered} clearHref="/admin/log" className="col-span-2 flex items-end gap-2 lg:col-span-1" />
      </form>
      <FilterError error={error} />
      {page.lines.length === 0 ? (
        <EmptyState title={filtered ? "No log lines match these filters" : "The log is empty"}>
          {filtered ? (
            <Link className={link} href="/admin/log">
              Clear the filters
            </Link>
          ) : (
            "Each enrollment step (enroll page, profile download, SCEP, check-in) writes a line here."
          )}
        </EmptyState>
      ) : (
        <>
          {/* Phones: one card per line, nothing cut off. */}
          <ul className="space-y-2 md:hidden" aria-label={`Enrollment log lines, ${newestFirst ? "newest" : "oldest"} first`}>
            {page.lines.map((l) => {
              const info = reasonInfo(l.reason);
              return (
                <li key={l.id} data-outcome={l.outcome} className="rounded-lg border border-slate-200 bg-white p-3 text-sm dark:border-slate-800 dark:bg-slate-900">
                  <div className="flex flex-wrap items-center gap-2">
                    <OutcomeBadge outcome={l.outcome} />
                    <span className="font-medium">{l.step}</span>
                    <time dateTime={l.time.toISOString()} className="ml-auto text-xs text-slate-600 dark:text-slate-400">
                      {formatUtc(l.time)}
                    </time>
                  </div>
                  {l.reason && (
                    <Link className={`${link} mt-1 block font-medium`} href={`/admin/log/reasons#${l.reason}`}>
                      {info?.title ?? l.reason}
                    </Link>
                  )}
                  <p className="mt-1 break-words">{l.message}</p>
                  <Repeats line={l} />
                  {info && <p className="mt-1 text-xs text-slate-700 dark:text-slate-300">Fix: {info.fix}</p>}
                  <dl className="mt-1 space-y-0.5 break-all text-xs text-slate-600 dark:text-slate-400">
                    {l.deviceIdentifier && (
                      <div>
                        <dt className="inline">Device: </dt>
                        <dd className="inline font-mono">{l.deviceIdentifier}</dd>
                      </div>
                    )}
                    {l.userIdentifier && (
                      <div>
                        <dt className="inline">User: </dt>
                        <dd className="inline">{l.userIdentifier}</dd>
                      </div>
                    )}
                    {l.tokenId && (
                      <div>
                        <dt className="inline">Token: </dt>
                        <dd className="inline">{tokenNames.get(l.tokenId) ?? <span className="font-mono">{l.tokenId}</span>}</dd>
                      </div>
                    )}
                    {l.remoteAddr && (
                      <div>
                        <dt className="inline">From: </dt>
                        <dd className="inline font-mono">{l.remoteAddr}</dd>
                      </div>
                    )}
                  </dl>
                </li>
              );
            })}
          </ul>
          <DataTable
            caption={`Enrollment log lines, ${newestFirst ? "newest" : "oldest"} first`}
            className="hidden md:block"
            stack={false}
            columns={["Time", "Step", "Outcome", "Reason / message", "Device", { label: "Token", hideBelow: "lg" }, { label: "User", hideBelow: "lg" }, { label: "Remote address", hideBelow: "xl" }]}
          >
            {page.lines.map((l) => {
              const info = reasonInfo(l.reason);
              return (
                <tr key={l.id} data-outcome={l.outcome}>
                  <td className={`${td} whitespace-nowrap`}>
                    <time dateTime={l.time.toISOString()}>{formatUtc(l.time).replace(" UTC", "")}</time>
                  </td>
                  <td className={td}>{l.step}</td>
                  <td className={td}>
                    <OutcomeBadge outcome={l.outcome} />
                  </td>
                  <td className={`${td} min-w-[16rem]`}>
                    {l.reason && (
                      <div>
                        <Link className={`${link} font-medium`} href={`/admin/log/reasons#${l.reason}`}>
                          {info?.title ?? l.reason}
                        </Link>
                      </div>
                    )}
                    <div className="break-words">{l.message}</div>
                    <Repeats line={l} />
                    {info && <div className="mt-0.5 text-xs text-slate-700 dark:text-slate-300">Fix: {info.fix}</div>}
                  </td>
                  <td className={`${td} font-mono text-xs`}>
                    {l.deviceIdentifier ? (
                      <Link className={link} href={`/admin/log?${new URLSearchParams({ device: l.deviceIdentifier })}`}>
                        {l.deviceIdentifier}
                      </Link>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td className={`${td} hidden font-mono text-xs lg:table-cell`}>
                    {l.tokenId ? (
                      <Link className={link} href={`/admin/log?${new URLSearchParams({ token: l.tokenId })}`} title={l.tokenId}>
                        {tokenNames.get(l.tokenId) ?? l.tokenId}
                      </Link>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td className={`${td} hidden lg:table-cell`}>{l.userIdentifier ?? "—"}</td>
                  <td className={`${td} hidden font-mono text-xs xl:table-cell`}>{l.remoteAddr ?? "—"}</td>
                </tr>
              );
            })}
          </DataTable>
        </>
      )}
      <nav aria-label="Pages" className="mt-4 flex gap-2">
        {cursor && (
          <Link className={btnSecondary} href={`/admin/log?${filterParams}`}>
            {newestFirst ? "Newest" : "Oldest"}
          </Link>
        )}
        {page.nextCursor && (
          <Link className={btnSecondary} href={`/admin/log?${new URLSearchParams([...filterParams, ["cursor", page.nextCursor]])}`}>
            {newestFirst ? "Older" : "Newer"}
          </Link>
        )}
      </nav>
    </div>
  );
}
