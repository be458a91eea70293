// The account-driven sign-in page's terms: the text once (TermsPanel), and an "I accept" box
// in each sign-in form (AcceptTermsBox); `required` stops the form without JavaScript, and
// the server checks the version again. Labels come translated from the page (lib/i18n).
import type { TermsToAccept } from "@/lib/enrollment/terms";
import { TermsText } from "./TermsText";

export function TermsPanel({ terms, title, textLabel }: { terms: TermsToAccept; title: string; textLabel: string }) {
  return (
    <section aria-labelledby="terms-title" className="mb-6 rounded-xl border border-slate-200 p-4 dark:border-slate-800">
      <h2 id="terms-title" className="mb-2 text-base font-semibold">
        {title}
      </h2>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling box must be reachable by keyboard to be read (axe: scrollable-region-focusable) */}
      <div className="max-h-56 overflow-y-auto pr-1" tabIndex={0} role="group" aria-label={textLabel}>
        <TermsText blocks={terms.blocks} />
      </div>
    </section>
  );
}

export function AcceptTermsBox({ version, label, name = "acceptTerms" }: { version: string; label: string; name?: string }) {
  return (
    <label className="flex items-start gap-2 text-sm font-medium">
      <input type="checkbox" name={name} value={version} required className="mt-1 h-4 w-4" />
      <span>{label}</span>
    </label>
  );
}
