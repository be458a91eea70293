// The portal's navigation, mirroring seed 000: Devices, Enrollment (OTA tokens,
// account-driven routing, SCEP profiles), Groups & Policies, Enrollment Log, Settings (Admins).
export interface NavItem {
  href: string;
  label: string;
  children?: NavItem[];
}

export const NAV: NavItem[] = [
  { href: "/admin", label: "Dashboard" },
  { href: "/admin/devices", label: "Devices" },
  {
    href: "/admin/enrollment",
    label: "Enrollment",
    children: [
      { href: "/admin/enrollment/tokens", label: "OTA Tokens" },
      { href: "/admin/enrollment/account-driven", label: "Account-driven" },
      { href: "/admin/enrollment/scep", label: "SCEP Profiles" },
    ],
  },
  { href: "/admin/groups", label: "Groups & Policies" },
  { href: "/admin/log", label: "Enrollment Log" },
  { href: "/admin/settings", label: "Settings" },
  { href: "/admin/settings/admins", label: "Admins" },
  { href: "/admin/settings/audit", label: "Audit Log" },
  { href: "/admin/settings/acme", label: "ACME" },
];

/** Every admin page path, for the "signed out means redirected" test. */
export function allNavPaths(items: NavItem[] = NAV): string[] {
  return items.flatMap((i) => [i.href, ...(i.children ? allNavPaths(i.children) : [])]);
}

/** The nav entry for a page: the longest matching href, so Settings > Admins does not also light up Settings. */
export function activeNavHref(pathname: string): string | undefined {
  return allNavPaths()
    .filter((href) => (href === "/admin" ? pathname === "/admin" : pathname === href || pathname.startsWith(`${href}/`)))
    .sort((a, b) => b.length - a.length)[0];
}
