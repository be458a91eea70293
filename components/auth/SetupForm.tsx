"use client";
// The one-time owner form. A refusal keeps what was typed and names the field at fault;
// success signs the owner in and opens the dashboard (app/setup/actions.ts).
import { startTransition, useActionState, useEffect, useRef } from "react";
import { createFirstOwner, type SetupState } from "@/app/setup/actions";
import { markInvalidFields } from "@/components/ui/ActionForm";

const field = "w-full rounded-md border border-slate-300 bg-white px-3 py-2 aria-[invalid=true]:border-red-700 dark:border-slate-700 dark:bg-slate-900 dark:aria-[invalid=true]:border-red-400";
const PREFIX = "setup";

function Err({ state, name }: { state: SetupState; name: string }) {
  const message = state.fieldErrors?.[name];
  return message ? (
    <p id={`${PREFIX}-${name}-error`} className="mt-1 text-sm text-red-800 dark:text-red-300">
      {message}
    </p>
  ) : null;
}

export function SetupForm() {
  const [state, action, pending] = useActionState<SetupState, FormData>(createFirstOwner, { error: null });
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (!pending && formRef.current) markInvalidFields(formRef.current, state.fieldErrors, PREFIX);
  }, [state, pending]);
  return (
    <form
      ref={formRef}
      action={action}
      className="space-y-4"
      onSubmit={(e) => {
        // React resets a form after its action; submitting ourselves keeps the input on a refusal.
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        startTransition(() => action(data));
      }}
    >
      {state.error && (
        <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
          {state.error}
        </p>
      )}
      <div>
        <label htmlFor="email" className="mb-1 block text-sm font-medium">
          Email
        </label>
        <input id="email" name="email" type="email" autoComplete="username" required defaultValue={state.values?.email} className={field} />
        <Err state={state} name="email" />
      </div>
      <div>
        <label htmlFor="name" className="mb-1 block text-sm font-medium">
          Name <span className="font-normal text-slate-600 dark:text-slate-400">(optional)</span>
        </label>
        <input id="name" name="name" autoComplete="name" defaultValue={state.values?.name} className={field} />
      </div>
      <div>
        <label htmlFor="password" className="mb-1 block text-sm font-medium">
          Password
        </label>
        <input id="password" name="password" type="password" autoComplete="new-password" minLength={12} required aria-describedby="pw-hint" className={field} />
        <p id="pw-hint" className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          At least 12 characters.
        </p>
        <Err state={state} name="password" />
      </div>
      <div>
        <label htmlFor="confirm" className="mb-1 block text-sm font-medium">
          Confirm password
        </label>
        <input id="confirm" name="confirm" type="password" autoComplete="new-password" required className={field} />
        <Err state={state} name="confirm" />
      </div>
      <button type="submit" disabled={pending} className="w-full rounded-md bg-brand-600 px-4 py-2.5 font-medium text-white hover:bg-brand-700 disabled:opacity-60">
        {pending ? "Creating…" : "Create owner account"}
      </button>
    </form>
  );
}
