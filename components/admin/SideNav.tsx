"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { activeNavHref, NAV, type NavItem } from "./nav";

function Item({ item, pathname, depth }: { item: NavItem; pathname: string; depth: number }) {
  const active = activeNavHref(pathname) === item.href;
  if (item.children) {
    return (
      <li>
        <span className="block px-3 pt-3 pb-1 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">{item.label}</span>
        <ul>
          {item.children.map((c) => (
            <Item key={c.href} item={c} pathname={pathname} depth={depth + 1} />
          ))}
        </ul>
      </li>
    );
  }
  return (
    <li>
      <Link
        href={item.href}
        aria-current={active ? "page" : undefined}
        // On phones the menu is a <details>: close it once a page is chosen.
        onClick={(e) => e.currentTarget.closest("details")?.removeAttribute("open")}
        className={`block rounded-md px-3 py-2 text-sm ${depth > 0 ? "pl-5" : ""} ${
          active ? "bg-brand-50 font-medium text-brand-700 dark:bg-slate-800 dark:text-white" : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
        }`}
      >
        {item.label}
      </Link>
    </li>
  );
}

export function SideNav() {
  const pathname = usePathname() ?? "";
  return (
    <nav aria-label="Main">
      <ul className="space-y-0.5">
        {NAV.map((item) => (
          <Item key={item.href} item={item} pathname={pathname} depth={0} />
        ))}
      </ul>
    </nav>
  );
}
