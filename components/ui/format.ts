// Dates for the portal: absolute UTC (unambiguous across admins) plus a relative hint.
export function formatUtc(d: Date | string | null | undefined): string {
  if (!d) return "—";
  const date = typeof d === "string" ? new Date(d) : d;
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function relativeTime(d: Date | null | undefined, now = new Date()): string {
  if (!d) return "never";
  const s = Math.round((now.getTime() - d.getTime()) / 1000);
  const abs = Math.abs(s);
  const fmt = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  const text = abs < 60 ? "just now" : abs < 3600 ? fmt(Math.floor(abs / 60), "minute") : abs < 86400 ? fmt(Math.floor(abs / 3600), "hour") : fmt(Math.floor(abs / 86400), "day");
  if (text === "just now") return text;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}
