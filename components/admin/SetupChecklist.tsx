// The dashboard's first-run checklist (lib/inventory/checklist.ts): each open step links to
// where it is done; the CA step can be settled here by keeping the generated CA.
import Link from "next/link";
import type { Checklist } from "@/lib/inventory/checklist";
import { keepCaAction } from "@/app/admin/actions";
import { ActionForm } from "@/components/ui/ActionForm";
import { card, link } from "@/components/ui/styles";

export function SetupChecklist({ checklist, owner }: { checklist: Checklist; owner: boolean }) {
  const open = checklist.items.filter((i) => !i.done).length;
  return (
    <section className={card} aria-labelledby="checklist">
      <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="checklist" className="font-semibold">
          Finish setting up
        </h2>
        <span className="text-sm text-slate-700 dark:text-slate-300">
          {checklist.items.length - open} of {checklist.items.length} done
        </span>
      </div>
      <ol className="divide-y divide-slate-200 text-sm dark:divide-slate-800">
        {checklist.items.map((i) => (
          <li key={i.id} data-step={i.id} data-done={i.done} className="flex gap-3 py-2.5">
            <span
              aria-hidden
              className={`mt-0.5 inline-flex h-5 w-5 shrink-0 items-center justify-center rounded-full text-xs font-bold ${i.done ? "bg-green-700 text-white" : i.warning ? "bg-amber-500 text-slate-950" : "border border-slate-400 dark:border-slate-500"}`}
            >
              {i.done ? "✓" : i.warning ? "!" : ""}
            </span>
            <div className="min-w-0 flex-1">
              <div className="font-medium">
                {i.done ? (
                  <>
                    {i.title} <span className="sr-only">(done)</span>
                  </>
                ) : (
                  <Link className={link} href={i.href}>
                    {i.title}
                  </Link>
                )}
                {i.warning && <span className="ml-2 font-normal text-amber-900 dark:text-amber-200">Warning</span>}
              </div>
              <p className="mt-0.5 break-words text-slate-700 dark:text-slate-300">{i.detail}</p>
              {i.id === "ca" && !i.done && owner && (
                <ActionForm action={keepCaAction} submitLabel="Keep the generated CA" variant="secondary" inline className="mt-2 inline-flex flex-wrap items-center gap-2" />
              )}
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
