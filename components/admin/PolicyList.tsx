"use client";
// A group's policies in the order devices receive them. Moving one updates the list at
// once (useOptimistic) while the new order is saved; a refusal puts it back and says why.
import { useOptimistic, useState, useTransition } from "react";
import type { ActionState, FormAction } from "@/components/ui/actionState";
import { ActionForm } from "@/components/ui/ActionForm";
import { Badge } from "@/components/ui/Badge";
import { btnSecondary } from "@/components/ui/styles";

export interface PolicyItem {
  id: string;
  name: string;
  kind: "PROFILE" | "COMMAND" | "CERTIFICATE";
  detail: string | null;
}

export function PolicyList({
  groupId,
  policies,
  writable,
  reorder,
  remove,
}: {
  groupId: string;
  policies: PolicyItem[];
  writable: boolean;
  reorder: (groupId: string, ids: string[]) => Promise<ActionState>;
  remove: FormAction;
}) {
  const [optimistic, setOptimistic] = useOptimistic(policies, (_current, next: PolicyItem[]) => next);
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<ActionState>({});

  function move(index: number, delta: number) {
    const next = [...optimistic];
    const [item] = next.splice(index, 1);
    next.splice(index + delta, 0, item);
    startTransition(async () => {
      setOptimistic(next);
      const result = await reorder(
        groupId,
        next.map((p) => p.id),
      );
      setMessage(result);
    });
  }

  return (
    <div>
      <ol className="divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800" aria-busy={pending}>
        {optimistic.map((p, i) => (
          <li key={p.id} className="flex flex-wrap items-center gap-3 px-3 py-2" data-policy={p.name}>
            <span className="w-6 text-right tabular-nums text-slate-600 dark:text-slate-400" aria-hidden>
              {i + 1}.
            </span>
            <div className="min-w-0 flex-1">
              <div className="flex flex-wrap items-center gap-2">
                <span className="font-medium">{p.name}</span>
                <Badge tone={p.kind === "COMMAND" ? "slate" : "blue"}>{p.kind === "PROFILE" ? "Profile" : p.kind === "CERTIFICATE" ? "Certificate" : "Command"}</Badge>
              </div>
              {p.detail && <div className="truncate font-mono text-xs text-slate-600 dark:text-slate-400">{p.detail}</div>}
            </div>
            {writable && (
              <div className="flex flex-wrap items-center gap-2">
                <button type="button" className={btnSecondary} disabled={i === 0 || pending} onClick={() => move(i, -1)} aria-label={`Move ${p.name} up`}>
                  ↑
                </button>
                <button type="button" className={btnSecondary} disabled={i === optimistic.length - 1 || pending} onClick={() => move(i, 1)} aria-label={`Move ${p.name} down`}>
                  ↓
                </button>
                <ActionForm
                  action={remove}
                  hidden={{ groupId, policyId: p.id }}
                  submitLabel="Remove"
                  submitAriaLabel={`Remove ${p.name}`}
                  pendingLabel="Removing…"
                  variant="danger"
                  inline
                  confirm={{
                    title: `Remove "${p.name}"?`,
                    message: p.kind !== "COMMAND" ? "The profile is removed from every device in this group." : "Devices that join the group from now on will not receive this command.",
                    confirmLabel: "Remove policy",
                  }}
                />
              </div>
            )}
          </li>
        ))}
      </ol>
      <p aria-live="polite" className="mt-2 text-sm">
        {pending ? (
          "Saving order…"
        ) : message.error ? (
          <span role="alert" className="text-red-800 dark:text-red-300">
            {message.error}
          </span>
        ) : (
          message.ok
        )}
      </p>
    </div>
  );
}
