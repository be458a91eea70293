"use client";
import { signIn } from "next-auth/react";
import { useState } from "react";
import { input, label } from "@/components/ui/styles";

/** The local (break-glass) account's fields: name, label, type, autocomplete. */
const LOCAL_FIELDS = [
  ["email", "Email", "email", "username"],
  ["password", "Password", "password", "current-password"],
] as const;

export function SignInForm({ idpName, callbackUrl }: { idpName: string | null; callbackUrl: string }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setPending(true);
    setError(null);
    const form = new FormData(e.currentTarget);
    const res = await signIn("credentials", { email: String(form.get("email")), password: String(form.get("password")), redirect: false, callbackUrl });
    if (res?.ok && !res.error) {
      window.location.assign(callbackUrl);
      return;
    }
    setPending(false);
    setError(res?.error === "TooManyAttempts" ? "Too many failed sign-ins for this account. Wait 15 minutes and try again." : "The email or password is not correct.");
  }

  return (
    <div className="space-y-6">
      {idpName && (
        <>
          <button type="button" onClick={() => signIn("oidc", { callbackUrl })} className="w-full rounded-md bg-brand-600 px-4 py-2.5 font-medium text-white hover:bg-brand-700">
            Sign in with {idpName}
          </button>
          <div className="flex items-center gap-3 text-xs text-slate-600 dark:text-slate-400">
            <span className="h-px flex-1 bg-slate-300 dark:bg-slate-700" /> or use a local account <span className="h-px flex-1 bg-slate-300 dark:bg-slate-700" />
          </div>
        </>
      )}
      <form onSubmit={onSubmit} className="space-y-4">
        {error && (
          <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
            {error}
          </p>
        )}
        {LOCAL_FIELDS.map(([name, text, type, autoComplete]) => (
          <div key={name}>
            <label htmlFor={name} className={label}>
              {text}
            </label>
            <input id={name} name={name} type={type} autoComplete={autoComplete} required className={input} />
          </div>
        ))}
        <button
          type="submit"
          disabled={pending}
          className={`w-full rounded-md px-4 py-2.5 font-medium ${idpName ? "border border-slate-300 bg-white text-slate-900 hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100" : "bg-brand-600 text-white hover:bg-brand-700"} disabled:opacity-60`}
        >
          {pending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
