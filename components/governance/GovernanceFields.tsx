// Governance inputs shared by the token and routing-rule forms: per-person email (tokens
// only), per-user device limit override and terms to accept. Plain inputs: the server
// action reads them by name (personEmail, deviceLimit, terms).
const input = "w-full rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-950";

export interface GovernanceValues {
  personEmail?: string;
  deviceLimit?: string;
  terms?: string;
}

export function GovernanceFields({ values = {}, person = false, idPrefix = "gov" }: { values?: GovernanceValues; person?: boolean; idPrefix?: string }) {
  return (
    <fieldset className="space-y-4 rounded-md border border-slate-200 p-4 dark:border-slate-800">
      <legend className="px-1 text-sm font-medium">Governance (optional)</legend>
      {person && (
        <div>
          <label htmlFor={`${idPrefix}-personEmail`} className="mb-1 block text-sm font-medium">
            For one person (email)
          </label>
          <input id={`${idPrefix}-personEmail`} name="personEmail" type="email" maxLength={254} defaultValue={values.personEmail ?? ""} className={input} />
          <p className="mt-1 text-xs text-slate-500">Shown on the enroll page and recorded on each device enrolled with the link; the person&apos;s device limit applies.</p>
        </div>
      )}
      <div>
        <label htmlFor={`${idPrefix}-deviceLimit`} className="mb-1 block text-sm font-medium">
          Device limit per person
        </label>
        <input
          id={`${idPrefix}-deviceLimit`}
          name="deviceLimit"
          type="number"
          min={0}
          max={1000}
          step={1}
          placeholder="Organisation setting"
          defaultValue={values.deviceLimit ?? ""}
          className={input}
        />
        <p className="mt-1 text-xs text-slate-500">Empty: the organisation&apos;s setting (Settings › Enrollment). 0: no limit.</p>
      </div>
      <div>
        <label htmlFor={`${idPrefix}-terms`} className="mb-1 block text-sm font-medium">
          Terms to accept
        </label>
        <textarea id={`${idPrefix}-terms`} name="terms" rows={5} maxLength={20000} defaultValue={values.terms ?? ""} className={`${input} font-mono text-sm`} />
        <p className="mt-1 text-xs text-slate-500">
          Markdown: # headings, - lists, **bold**, *italic*, [links](https://…). People must accept them before enrolling; who accepted which version, and when, is recorded on the device.
        </p>
      </div>
    </fieldset>
  );
}
