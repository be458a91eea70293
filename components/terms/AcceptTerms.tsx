// The terms and their "I accept" box. The checkbox belongs to the form named by `formId`
// (HTML's form attribute), so it can sit anywhere on the page; `required` stops the form
// without JavaScript, and the server checks the version again.
import type { TermsToAccept } from "@/lib/enrollment/terms";
import { TermsText } from "./TermsText";

export function AcceptTerms({ terms, formId, name = "acceptTerms" }: { terms: TermsToAccept; formId?: string; name?: string }) {
  return (
    <section aria-labelledby="terms-title" className="rounded-2xl border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900">
      <h2 id="terms-title" className="mb-2 text-base font-semibold">Terms</h2>
      <div className="max-h-64 overflow-y-auto pr-1" tabIndex={0} aria-label="Terms text">
        <TermsText blocks={terms.blocks} />
      </div>
      <label className="mt-4 flex items-start gap-2 text-sm font-medium">
        <input type="checkbox" name={name} value={terms.version} required form={formId} className="mt-1 h-4 w-4" />
        <span>I have read and accept these terms</span>
      </label>
    </section>
  );
}

/** The terms text alone, for pages whose forms each carry their own "I accept" box (AcceptTermsBox). */
export function TermsPanel({ terms }: { terms: TermsToAccept }) {
  return (
    <section aria-labelledby="terms-title" className="mb-6 rounded-xl border border-slate-200 p-4 dark:border-slate-800">
      <h2 id="terms-title" className="mb-2 text-base font-semibold">Terms</h2>
      <div className="max-h-56 overflow-y-auto pr-1" tabIndex={0} aria-label="Terms text">
        <TermsText blocks={terms.blocks} />
      </div>
    </section>
  );
}

export function AcceptTermsBox({ version, name = "acceptTerms" }: { version: string; name?: string }) {
  return (
    <label className="flex items-start gap-2 text-sm font-medium">
      <input type="checkbox" name={name} value={version} required className="mt-1 h-4 w-4" />
      <span>I have read and accept the terms</span>
    </label>
  );
}
