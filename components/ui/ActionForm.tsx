"use client";
// A form bound to a server action: pending state on the button, the answer announced to
// screen readers, secrets shown once, and a confirmation dialog before destructive ones.
// A refused submission keeps what was typed (the form submits itself, so React does not
// reset it) and each refused field shows its own message (<FieldError name="…" />).
import Link from "next/link";
import { createContext, startTransition, useActionState, useContext, useEffect, useId, useRef } from "react";
import type { ActionState, FormAction } from "./actionState";
import { btn, btnDanger, btnDangerSolid, btnSecondary } from "./styles";

export interface Confirm {
  title: string;
  message: React.ReactNode;
  confirmLabel: string;
}

const VARIANTS = { primary: btn, secondary: btnSecondary, danger: btnDanger } as const;

export function ActionForm({
  action,
  hidden,
  children,
  submitLabel,
  pendingLabel,
  variant = "primary",
  confirm,
  className,
  inline,
  resetOnSuccess,
  submitAriaLabel,
}: {
  action: FormAction;
  hidden?: Record<string, string>;
  children?: React.ReactNode;
  submitLabel: string;
  pendingLabel?: string;
  variant?: keyof typeof VARIANTS;
  confirm?: Confirm;
  className?: string;
  inline?: boolean;
  resetOnSuccess?: boolean;
  submitAriaLabel?: string;
}) {
  const [state, formAction, pending] = useActionState<ActionState, FormData>(action, {});
  const formRef = useRef<HTMLFormElement>(null);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const confirmed = useRef(false);
  const titleId = useId();
  const errorPrefix = useId();

  useEffect(() => {
    if (resetOnSuccess && state.done) formRef.current?.reset();
  }, [state.done, resetOnSuccess]);

  useEffect(() => {
    if (!pending && formRef.current) markInvalidFields(formRef.current, state.fieldErrors, errorPrefix);
  }, [state, pending, errorPrefix]);

  return (
    <FieldErrorsContext.Provider value={{ errors: pending ? undefined : state.fieldErrors, prefix: errorPrefix }}>
      <form
        ref={formRef}
        action={formAction}
        className={className ?? (inline ? "inline-flex flex-wrap items-center gap-2" : "space-y-4")}
        onSubmit={(e) => {
          e.preventDefault();
          if (confirm && !confirmed.current) {
            dialogRef.current?.showModal();
            return;
          }
          confirmed.current = false;
          // Dispatching ourselves instead of letting React run the form action: React resets
          // a form after its action, which would throw away input the server refused.
          const data = new FormData(e.currentTarget, (e.nativeEvent as SubmitEvent).submitter);
          startTransition(() => formAction(data));
        }}
      >
        {hidden && Object.entries(hidden).map(([k, v]) => <input key={k} type="hidden" name={k} value={v} />)}
        {children}
        <div className={inline ? "contents" : "flex flex-wrap items-center gap-3"}>
          <button type="submit" disabled={pending} aria-label={submitAriaLabel} className={VARIANTS[variant]}>
            {pending ? (pendingLabel ?? `${submitLabel}…`) : submitLabel}
          </button>
          <span aria-live="polite" className="text-sm">
            {!pending && state.ok && <span className="text-green-800 dark:text-green-300">{state.ok}</span>}
          </span>
        </div>
        {!pending && state.error && (
          <p role="alert" className="whitespace-pre-wrap rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
            {state.error}
          </p>
        )}
        {state.secrets && state.secrets.length > 0 && <Secrets secrets={state.secrets} />}
        {!pending && state.download && (
          <p>
            <a href={`data:${state.download.contentType};charset=utf-8,${encodeURIComponent(state.download.text)}`} download={state.download.filename} className={btnSecondary}>
              {state.download.label}
            </a>
          </p>
        )}
        {!pending && state.next && (
          <p>
            <Link href={state.next.href} className={btnSecondary}>
              {state.next.label}
            </Link>
          </p>
        )}
        {confirm && (
          <dialog
            ref={dialogRef}
            aria-labelledby={titleId}
            className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-lg border border-slate-200 bg-white p-5 text-slate-900 shadow-xl backdrop:bg-slate-950/50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
          >
            <h2 id={titleId} className="text-lg font-semibold">
              {confirm.title}
            </h2>
            <div className="mt-2 text-sm text-slate-700 dark:text-slate-300">{confirm.message}</div>
            <div className="mt-5 flex justify-end gap-2">
              {/* biome-ignore lint/a11y/noAutofocus: a confirmation dialog focuses its safe choice (WAI-ARIA dialog pattern) */}
              <button type="button" autoFocus className={btnSecondary} onClick={() => dialogRef.current?.close()}>
                Cancel
              </button>
              <button
                type="button"
                className={btnDangerSolid}
                onClick={() => {
                  confirmed.current = true;
                  dialogRef.current?.close();
                  formRef.current?.requestSubmit();
                }}
              >
                {confirm.confirmLabel}
              </button>
            </div>
          </dialog>
        )}
      </form>
    </FieldErrorsContext.Provider>
  );
}

const FieldErrorsContext = createContext<{ errors?: Record<string, string>; prefix: string }>({ prefix: "" });

export const fieldErrorId = (prefix: string, name: string) => `${prefix}-${name}-error`;

/** Ties each refused control to its message (aria-invalid, aria-describedby) and focuses the first. */
export function markInvalidFields(form: HTMLFormElement, errors: Record<string, string> | undefined, prefix: string): void {
  let first: HTMLElement | null = null;
  for (const el of Array.from(form.elements)) {
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement) || !el.name) continue;
    const id = fieldErrorId(prefix, el.name);
    const described = (el.getAttribute("aria-describedby") ?? "").split(/\s+/).filter((x) => x && x !== id);
    if (errors?.[el.name]) {
      el.setAttribute("aria-invalid", "true");
      el.setAttribute("aria-describedby", [...described, id].join(" "));
      first ??= el;
    } else {
      el.removeAttribute("aria-invalid");
      if (described.length) el.setAttribute("aria-describedby", described.join(" "));
      else el.removeAttribute("aria-describedby");
    }
  }
  first?.focus();
}

/** The server's message for one field, under it; renders nothing while the field is fine. */
export function FieldError({ name }: { name: string }) {
  const { errors, prefix } = useContext(FieldErrorsContext);
  const message = errors?.[name];
  if (!message) return null;
  return (
    <p id={fieldErrorId(prefix, name)} className="mt-1 text-sm text-red-800 dark:text-red-300" data-field-error={name}>
      {message}
    </p>
  );
}

export function Secrets({ secrets }: { secrets: { label: string; value: string }[] }) {
  return (
    <div role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
      <p className="font-medium">Copy now: this is shown only once.</p>
      <dl className="mt-2 space-y-1">
        {secrets.map((s) => (
          <div key={s.label} className="flex flex-wrap gap-x-2">
            <dt className="font-medium">{s.label}:</dt>
            <dd>
              <code className="select-all break-all rounded bg-white px-1 py-0.5 dark:bg-slate-900" data-secret={s.label}>
                {s.value}
              </code>
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
