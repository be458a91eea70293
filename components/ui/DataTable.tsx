// The portal's table: scrolling frame, screen-reader caption, header row and row dividers.
// Columns hidden below a breakpoint keep the table readable on phones; below the sm
// breakpoint rows stack as cards (app/globals.css, .table-stack) so each row's action stays
// on screen at 390 px. Give cells a data-label to name them in the stacked layout.
import { tableWrap, th } from "./styles";

const HIDE_BELOW = { sm: "hidden sm:table-cell", md: "hidden md:table-cell", lg: "hidden lg:table-cell", xl: "hidden xl:table-cell" } as const;

export type Column = string | { label: string; hideBelow?: keyof typeof HIDE_BELOW; srOnly?: boolean } | false;

export function DataTable({
  caption,
  columns,
  head,
  className,
  stack = true,
  children,
}: {
  caption?: string;
  /** Plain header cells; `false` leaves a column out (e.g. actions for read-only admins). */
  columns?: Column[];
  /** Custom header cells (sortable headers) instead of `columns`. */
  head?: React.ReactNode;
  className?: string;
  /** Stack rows as cards on phones (default); false keeps a scrolling table. */
  stack?: boolean;
  children: React.ReactNode;
}) {
  const wrap = [tableWrap, stack ? "table-stack" : "", className ?? ""].filter(Boolean).join(" ");
  return (
    <div className={wrap} data-head={head ? "sortable" : "plain"}>
      <table className="min-w-full text-sm">
        {caption && <caption className="sr-only">{caption}</caption>}
        <thead className="bg-slate-50 dark:bg-slate-950">
          <tr>
            {head ??
              columns?.map((c) => {
                if (c === false) return null;
                const col = typeof c === "string" ? { label: c } : c;
                return (
                  <th key={col.label} scope="col" className={col.hideBelow ? `${th} ${HIDE_BELOW[col.hideBelow]}` : th}>
                    {col.srOnly ? <span className="sr-only">{col.label}</span> : col.label}
                  </th>
                );
              })}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 dark:divide-slate-800">{children}</tbody>
      </table>
    </div>
  );
}
