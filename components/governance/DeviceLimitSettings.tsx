// Settings › Enrollment: the organisation's per-user device limit.
import { ActionForm } from "@/components/ui/ActionForm";
import { hint, input, label } from "@/components/ui/styles";
import type { ActionState } from "@/components/ui/actionState";

export function DeviceLimitSettings({ limit, writable, action }: { limit: number; writable: boolean; action: (prev: ActionState, form: FormData) => Promise<ActionState> }) {
  if (!writable) return <p className="text-sm">{limit === 0 ? "No per-user device limit." : `At most ${limit} active enrollment(s) per person.`}</p>;
  return (
    <ActionForm action={action} submitLabel="Save device limit" pendingLabel="Saving…" className="space-y-2">
      <label htmlFor="deviceLimit" className={label}>
        Devices per person
      </label>
      <input id="deviceLimit" name="deviceLimit" type="number" min={0} max={1000} step={1} defaultValue={limit} className={`${input} max-w-32`} />
      <p className={hint}>
        0 = no limit (the default). Intune allows up to 15. Counted over a person&apos;s devices that have not checked out: the account-driven user, or the person of a per-person link. A routing rule
        or a token can set its own.
      </p>
    </ActionForm>
  );
}
