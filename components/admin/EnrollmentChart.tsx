// Enrollments per day as an inline SVG bar chart (no chart library). The numbers are also
// in a visually hidden table, so screen readers get the data, not a picture.
import type { DayCount } from "@/lib/inventory/stats";

export function EnrollmentChart({ data }: { data: DayCount[] }) {
  const max = Math.max(1, ...data.map((d) => d.count));
  const W = 560;
  const H = 160;
  const pad = { top: 12, right: 8, bottom: 24, left: 32 };
  const innerW = W - pad.left - pad.right;
  const innerH = H - pad.top - pad.bottom;
  const bw = innerW / Math.max(1, data.length);
  const ticks = [0, Math.ceil(max / 2), max].filter((v, i, a) => a.indexOf(v) === i);
  const total = data.reduce((a, d) => a + d.count, 0);
  return (
    <figure>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="enroll-chart-title" className="h-auto w-full text-brand-600 dark:text-brand-500">
        <title id="enroll-chart-title">{`Enrollments per day, last ${data.length} days: ${total} in total`}</title>
        {ticks.map((t) => {
          const y = pad.top + innerH - (t / max) * innerH;
          return (
            <g key={t}>
              <line x1={pad.left} x2={W - pad.right} y1={y} y2={y} className="stroke-slate-200 dark:stroke-slate-700" strokeWidth={1} />
              <text x={pad.left - 6} y={y + 4} textAnchor="end" className="fill-slate-600 text-[10px] dark:fill-slate-400">
                {t}
              </text>
            </g>
          );
        })}
        {data.map((d, i) => {
          const h = (d.count / max) * innerH;
          const x = pad.left + i * bw + bw * 0.15;
          return (
            <g key={d.day}>
              <rect x={x} y={pad.top + innerH - h} width={bw * 0.7} height={Math.max(h, d.count ? 1 : 0)} rx={2} fill="currentColor">
                <title>{`${d.day}: ${d.count}`}</title>
              </rect>
              {((data.length - 1 - i) % 2 === 0 || data.length <= 7) && (
                <text x={x + bw * 0.35} y={H - 6} textAnchor="middle" className="fill-slate-600 text-[10px] dark:fill-slate-400">
                  {d.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <table className="sr-only">
        <caption>Enrollments per day</caption>
        <thead>
          <tr>
            <th scope="col">Day (UTC)</th>
            <th scope="col">Enrollments</th>
          </tr>
        </thead>
        <tbody>
          {data.map((d) => (
            <tr key={d.day}>
              <td>{d.day}</td>
              <td>{d.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
