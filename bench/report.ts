// What the real-server bench reads and prints: CPU time and memory of a process and its
// descendants from /proc (Linux), and the results table. No lib/ imports: usable before
// the environment is set, and testable on its own (test/foundation/benchReport.test.ts).
import fs from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux port Node runs on). */
export const CLOCK_TICKS = 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime: this process and its reaped children, in ms. */
  cpuMs: number;
  /** Of which in the kernel (stime + cstime), ms. */
  systemMs: number;
}

/**
 * Parses one /proc/<pid>/stat line. The command name (field 2) is in parentheses and may
 * itself contain spaces and parentheses, so fields are counted from the last ")".
 */
export function parseProcStat(line: string): ProcStat {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${line.slice(0, 40)}`);
  const pid = Number(line.slice(0, open).trim());
  // After ")": field 3 (state) is index 0, so field n is index n - 3.
  const f = line.slice(close + 2).split(" ");
  const n = (field: number) => Number(f[field - 3]);
  const ticks = n(14) + n(15) + n(16) + n(17);
  return { pid, ppid: n(4), cpuMs: (ticks * 1000) / CLOCK_TICKS, systemMs: ((n(15) + n(17)) * 1000) / CLOCK_TICKS };
}

function readStat(pid: number, procRoot: string): ProcStat | null {
  try {
    return parseProcStat(fs.readFileSync(`${procRoot}/${pid}/stat`, "utf8"));
  } catch {
    return null; // exited between listing and reading
  }
}

/** The pid and every live descendant of it. */
export function processTree(rootPid: number, procRoot = "/proc"): ProcStat[] {
  const all: ProcStat[] = [];
  for (const e of fs.readdirSync(procRoot)) {
    if (!/^\d+$/.test(e)) continue;
    const s = readStat(Number(e), procRoot);
    if (s) all.push(s);
  }
  const children = new Map<number, ProcStat[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const root = all.find((s) => s.pid === rootPid);
  if (!root) return [];
  const out: ProcStat[] = [];
  const walk = (s: ProcStat) => {
    out.push(s);
    for (const c of children.get(s.pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** CPU ms used so far by the process tree (live processes plus the children they reaped). */
export function treeCpuMs(rootPid: number, procRoot = "/proc"): number {
  return processTree(rootPid, procRoot).reduce((sum, s) => sum + s.cpuMs, 0);
}

/** Resident memory (VmRSS) of each process of the tree, in MB. */
export function treeRssMb(rootPid: number, procRoot = "/proc"): number[] {
  return processTree(rootPid, procRoot).map((s) => {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`${procRoot}/${s.pid}/status`, "utf8"));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  });
}

export interface Row {
  operation: string;
  /** Operations (not HTTP requests) per second. */
  perSecond: number;
  p50: number;
  p99: number;
  /** Server CPU ms per operation. */
  cpuMs: number;
  /** Largest server process and the whole server tree, MB. */
  rssMaxMb: number;
  rssTotalMb: number;
  note?: string;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : "–");

/** A Markdown table (readable in a terminal, pasteable into the README). */
export function formatTable(rows: Row[]): string {
  const head = ["Operation", "ops/s", "p50 ms", "p99 ms", "server CPU ms/op", "RSS MB (max proc / total)"];
  const body = rows.map((r) => [
    r.note ? `${r.operation} (${r.note})` : r.operation,
    fixed(r.perSecond, 0),
    fixed(r.p50, 1),
    fixed(r.p99, 1),
    fixed(r.cpuMs, 2),
    `${fixed(r.rssMaxMb, 0)} / ${fixed(r.rssTotalMb, 0)}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(head), rule, ...body.map(line)].join("\n");
}
