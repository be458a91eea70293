// Devices: search, filter (status, group, platform, enrollment type), sort, keyset pages.
import Link from "next/link";
import { requireAdmin } from "@/app/_lib/session";
import { AppError } from "@/lib/errors";
import {
  DEVICE_STATUSES,
  deviceFacets,
  deviceQueryToParams,
  ENROLLMENT_TYPE_LABEL,
  ENROLLMENT_TYPES,
  listDevices,
  parseDeviceQuery,
  STATUS_LABEL,
  type DeviceQuery,
  type DeviceSort,
} from "@/lib/inventory/devices";
import { DeviceStatusBadge } from "@/components/ui/Badge";
import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/PageHeader";
import { formatUtc, relativeTime } from "@/components/ui/format";
import { btn, btnSecondary, input, label, link, td } from "@/components/ui/styles";
import { FilterSelect } from "@/components/ui/FilterSelect";
import { DataTable } from "@/components/ui/DataTable";
import { FilterError } from "@/components/ui/FilterForm";
import { SortHeader as SortLink } from "@/components/ui/SortHeader";

export const dynamic = "force-dynamic";
export const metadata = { title: "Devices" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function SortHeader({ q, sort, children, className = "" }: { q: DeviceQuery; sort: DeviceSort; children: React.ReactNode; className?: string }) {
  const active = (q.sort ?? "lastSeen") === sort;
  const defaultDir = sort === "lastSeen" || sort === "enrolled" ? "desc" : "asc";
  const dir = active ? (q.dir ?? defaultDir) : undefined;
  const nextDir = active ? (dir === "asc" ? "desc" : "asc") : defaultDir;
  const href = `/admin/devices?${deviceQueryToParams({ ...q, sort, dir: nextDir, cursor: null })}`;
  return (
    <SortLink href={href} dir={dir} className={className}>
      {children}
    </SortLink>
  );
}

export default async function DevicesPage({ searchParams }: { searchParams: SearchParams }) {
  await requireAdmin();
  const params = await searchParams;
  let q: DeviceQuery;
  let error: string | null = null;
  try {
    q = parseDeviceQuery(params);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    error = err.message;
    q = {};
  }
  const pageNo = Math.max(1, Number(params.page) || 1);
  let result;
  try {
    result = await listDevices({ ...q, limit: 50 });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    error = err.message;
    result = await listDevices({ ...q, cursor: null, limit: 50 });
  }
  const facets = await deviceFacets();
  const filtered = !!(q.status || q.groupId || q.platform || q.enrollmentType || q.q);
  const first = (pageNo - 1) * 50 + 1;
  return (
    <div>
      <PageHeader title="Devices" description="Every device that started enrollment. Managed devices have completed check-in and receive their group's policies." />
      <form method="get" action="/admin/devices" role="search" aria-label="Filter devices" className="mb-4 grid grid-cols-2 gap-3 lg:grid-cols-6">
        <div className="col-span-2">
          <label htmlFor="q" className={label}>
            Search
          </label>
          <input id="q" name="q" type="search" defaultValue={q.q ?? ""} placeholder="Name, serial, UDID or model" className={input} />
        </div>
        <FilterSelect name="status" label="Status" value={q.status} options={DEVICE_STATUSES.map((s) => [s, STATUS_LABEL[s]])} />
        <FilterSelect name="group" label="Group" value={q.groupId} options={[["none", "No group"], ...facets.groups.map((g) => [g.id, g.name] as const)]} />
        <FilterSelect name="platform" label="Platform" value={q.platform} options={facets.platforms.map((p) => [p, p])} />
        <FilterSelect name="type" label="Enrollment type" value={q.enrollmentType} options={ENROLLMENT_TYPES.map((t) => [t, ENROLLMENT_TYPE_LABEL[t]])} />
        {q.sort && <input type="hidden" name="sort" value={q.sort} />}
        {q.dir && <input type="hidden" name="dir" value={q.dir} />}
        <div className="col-span-2 flex items-end gap-2 lg:col-span-6">
          <button type="submit" className={btn}>
            Apply filters
          </button>
          {filtered && (
            <Link href="/admin/devices" className={btnSecondary}>
              Clear
            </Link>
          )}
        </div>
      </form>
      {params.removed === "1" && (
        <p role="status" className="mb-4 rounded-md border border-green-300 bg-green-50 px-3 py-2 text-sm text-green-900 dark:border-green-800 dark:bg-green-950 dark:text-green-200">
          Device removed. Its identity certificates were revoked.
        </p>
      )}
      <FilterError error={error} />
      <p className="mb-2 text-sm text-slate-600 dark:text-slate-400" aria-live="polite">
        {result.total === 0 ? "No devices" : `${first.toLocaleString("en-US")}–${(first + result.rows.length - 1).toLocaleString("en-US")} of ${result.total.toLocaleString("en-US")} devices`}
        {filtered ? " matching the filters" : ""}
      </p>
      {result.rows.length === 0 ? (
        filtered ? (
          <EmptyState title="No devices match these filters">
            <Link className={link} href="/admin/devices">
              Clear the filters
            </Link>{" "}
            to see every device.
          </EmptyState>
        ) : (
          <EmptyState title="No devices yet">
            Devices appear here when they open an enrollment link.{" "}
            <Link className={link} href="/admin/enrollment/tokens">
              Generate a token
            </Link>{" "}
            and open its link on an iPhone, iPad or Mac.
          </EmptyState>
        )
      ) : (
        <DataTable
          caption="Devices"
          head={
            <>
              <SortHeader q={q} sort="name">
                Name
              </SortHeader>
              <SortHeader q={q} sort="serial" className="hidden md:table-cell">
                Serial
              </SortHeader>
              <SortHeader q={q} sort="os" className="hidden lg:table-cell">
                OS
              </SortHeader>
              <SortHeader q={q} sort="platform" className="hidden lg:table-cell">
                Platform
              </SortHeader>
              <SortHeader q={q} sort="status">
                Status
              </SortHeader>
              <SortHeader q={q} sort="group" className="hidden md:table-cell">
                Group
              </SortHeader>
              <SortHeader q={q} sort="type" className="hidden xl:table-cell">
                Type
              </SortHeader>
              <SortHeader q={q} sort="lastSeen" className="hidden sm:table-cell">
                Last seen
              </SortHeader>
            </>
          }
        >
          {result.rows.map((d) => (
            <tr key={d.id} className="hover:bg-slate-50 dark:hover:bg-slate-800/50">
              <td className={td}>
                <Link href={`/admin/devices/${d.id}`} className={`${link} font-medium`}>
                  {d.deviceName ?? d.modelName ?? d.productName ?? d.serialNumber ?? d.identifier}
                </Link>
                <div className="max-w-[16rem] truncate font-mono text-xs text-slate-600 dark:text-slate-400" title={d.identifier}>
                  {d.identifier}
                </div>
                <div className="text-xs text-slate-600 sm:hidden dark:text-slate-400">Last seen {relativeTime(d.lastSeenAt)}</div>
              </td>
              <td className={`${td} hidden font-mono md:table-cell`}>{d.serialNumber ?? "—"}</td>
              <td className={`${td} hidden lg:table-cell`}>{d.osVersion ?? "—"}</td>
              <td className={`${td} hidden lg:table-cell`}>{d.platform ?? "—"}</td>
              <td className={td}>
                <DeviceStatusBadge status={d.status} />
              </td>
              <td className={`${td} hidden md:table-cell`}>
                {d.group ? (
                  <Link className={link} href={`/admin/groups/${d.group.id}`}>
                    {d.group.name}
                  </Link>
                ) : (
                  <span className="text-slate-600 dark:text-slate-400">—</span>
                )}
              </td>
              <td className={`${td} hidden xl:table-cell`}>{ENROLLMENT_TYPE_LABEL[d.enrollmentType]}</td>
              <td className={`${td} hidden whitespace-nowrap sm:table-cell`}>
                {d.lastSeenAt ? (
                  <time dateTime={d.lastSeenAt.toISOString()} title={formatUtc(d.lastSeenAt)}>
                    {relativeTime(d.lastSeenAt)}
                  </time>
                ) : (
                  <span className="text-slate-600 dark:text-slate-400">never</span>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <nav aria-label="Pages" className="mt-4 flex gap-2">
        {pageNo > 1 && (
          <Link className={btnSecondary} href={`/admin/devices?${deviceQueryToParams(q)}`}>
            First page
          </Link>
        )}
        {result.nextCursor && (
          <Link className={btnSecondary} href={`/admin/devices?${deviceQueryToParams(q, { cursor: result.nextCursor, page: String(pageNo + 1) })}`}>
            Next page
          </Link>
        )}
      </nav>
    </div>
  );
}
