"use client";
import { useActionState } from "react";
import { createFirstOwner, type SetupState } from "@/app/setup/actions";

const field = "w-full rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-900";

export function SetupForm() {
  const [state, action, pending] = useActionState<SetupState, FormData>(createFirstOwner, { error: null });
  return (
    <form action={action} className="space-y-4">
      {state.error && (
        <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
          {state.error}
        </p>
      )}
      <div>
        <label htmlFor="email" className="mb-1 block text-sm font-medium">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required className={field} />
      </div>
      <div>
        <label htmlFor="name" className="mb-1 block text-sm font-medium">Name <span className="font-normal text-slate-500">(optional)</span></label>
        <input id="name" name="name" autoComplete="name" className={field} />
      </div>
      <div>
        <label htmlFor="password" className="mb-1 block text-sm font-medium">Password</label>
        <input id="password" name="password" type="password" autoComplete="new-password" minLength={12} required aria-describedby="pw-hint" className={field} />
        <p id="pw-hint" className="mt-1 text-xs text-slate-500">At least 12 characters.</p>
      </div>
      <div>
        <label htmlFor="confirm" className="mb-1 block text-sm font-medium">Confirm password</label>
        <input id="confirm" name="confirm" type="password" autoComplete="new-password" required className={field} />
      </div>
      <button type="submit" disabled={pending} className="w-full rounded-md bg-brand-600 px-4 py-2.5 font-medium text-white hover:bg-brand-700 disabled:opacity-60">
        {pending ? "Creating…" : "Create owner account"}
      </button>
    </form>
  );
}
