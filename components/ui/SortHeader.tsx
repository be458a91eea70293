// A sortable column header for GET-driven tables: a plain link (works without JavaScript)
// to the same page sorted by this column, with aria-sort on the active one.
import Link from "next/link";
import { th } from "./styles";

export function SortHeader({ href, dir, className = "", children }: { href: string; dir: "asc" | "desc" | undefined; className?: string; children: React.ReactNode }) {
  return (
    <th scope="col" className={`${th} ${className}`} aria-sort={dir ? (dir === "asc" ? "ascending" : "descending") : undefined}>
      <Link href={href} className="inline-flex items-center gap-1 underline decoration-dotted underline-offset-2 hover:decoration-solid">
        {children}
        <span aria-hidden>{dir === "asc" ? "▲" : dir === "desc" ? "▼" : ""}</span>
        <span className="sr-only">{dir ? `, sorted ${dir === "asc" ? "ascending" : "descending"}` : ", sort"}</span>
      </Link>
    </th>
  );
}
