import type { TokenStatus } from "@/lib/enrollment/tokens";

const STYLE: Record<TokenStatus, string> = {
  active: "bg-green-100 text-green-800 dark:bg-green-950 dark:text-green-200",
  expired: "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-200",
  exhausted: "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
  revoked: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200",
};
const LABEL: Record<TokenStatus, string> = { active: "Active", expired: "Expired", exhausted: "Used up", revoked: "Revoked" };

export function StatusBadge({ status }: { status: TokenStatus }) {
  return <span className={`inline-block rounded-full px-2 py-0.5 text-xs font-medium ${STYLE[status]}`}>{LABEL[status]}</span>;
}
