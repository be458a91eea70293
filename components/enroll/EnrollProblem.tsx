// What a user sees when their enrollment link does not work: the reason in plain words,
// what to do, and (for whoever helps them) the admin-side fix and the reason code.
import { reasonInfo } from "@/lib/log/reasons";

export function EnrollProblem({ reason }: { reason: string }) {
  const info = reasonInfo(reason);
  return (
    <section role="alert" aria-labelledby="problem-heading" className="space-y-3 rounded-2xl border border-red-200 bg-red-50 p-5 dark:border-red-900 dark:bg-red-950">
      <h2 id="problem-heading" className="text-lg font-semibold text-red-900 dark:text-red-100">
        {info?.title ?? "This enrollment link cannot be used"}
      </h2>
      {info?.userMessage && <p className="text-sm leading-6 text-red-900 dark:text-red-100">{info.userMessage}</p>}
      {info?.userFix && <p className="text-sm font-medium leading-6 text-red-900 dark:text-red-100">{info.userFix}</p>}
      <p className="border-t border-red-200 pt-3 text-xs leading-5 text-red-800 dark:border-red-900 dark:text-red-200">
        For your IT team: {info?.fix ?? "Check the Enrollment Log."} (reason: <code>{reason}</code>)
      </p>
    </section>
  );
}
