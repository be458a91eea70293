// How often an aggregated enrollment-log line happened in its window, with its first and last
// time (lib/log/enrollmentLog.ts folds repeats into one line): the log page and the device timeline.
export function Repeats({ line }: { line: { count: number; time: Date; lastSeen: Date | null } }) {
  if (line.count <= 1) return null;
  const last = line.lastSeen ?? line.time;
  // To the second: an aggregation window is minutes long.
  const at = (d: Date) => `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
  return (
    <div className="mt-0.5 text-xs font-medium text-amber-800 dark:text-amber-300" data-testid="log-repeats">
      <span aria-hidden="true">×</span>
      {line.count.toLocaleString("en-US")}
      <span className="sr-only"> times</span> · first <time dateTime={line.time.toISOString()}>{at(line.time)}</time> · last <time dateTime={last.toISOString()}>{at(last)}</time>
    </div>
  );
}
