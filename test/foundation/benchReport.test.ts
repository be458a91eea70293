// The real-server bench's /proc reader and table printer (bench/report.ts): a process
// tree's CPU time and memory from a fake /proc, the live one, and the printed table.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatTable, parseProcStat, processTree, treeCpuMs, treeRssMb } from "@/bench/report";

/** A /proc/<pid>/stat line as Linux writes it (fields 14–17: utime stime cutime cstime in ticks). */
function statLine(pid: number, comm: string, ppid: number, [utime, stime, cutime, cstime]: number[]): string {
  const fields = ["S", ppid, pid, pid, 0, -1, 4194560, 100, 0, 0, 0, utime, stime, cutime, cstime, 20, 0, 1, 0, 123, 1000000, 250];
  return `${pid} (${comm}) ${fields.join(" ")}\n`;
}

function fakeProc(procs: { pid: number; comm: string; ppid: number; ticks: number[]; rssKb: number }[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fake-proc-"));
  for (const p of procs) {
    fs.mkdirSync(path.join(root, String(p.pid)));
    fs.writeFileSync(path.join(root, String(p.pid), "stat"), statLine(p.pid, p.comm, p.ppid, p.ticks));
    fs.writeFileSync(path.join(root, String(p.pid), "status"), `Name:\t${p.comm}\nVmPeak:\t  999999 kB\nVmRSS:\t  ${p.rssKb} kB\nThreads:\t7\n`);
  }
  fs.mkdirSync(path.join(root, "self")); // non-numeric entries are not processes
  return root;
}

describe("bench /proc reader", () => {
  it("reads a stat line whose command name holds spaces and parentheses", () => {
    const s = parseProcStat(statLine(4242, "node (worker) 2", 17, [150, 50, 30, 20]));
    expect(s).toEqual({ pid: 4242, ppid: 17, cpuMs: 2500, systemMs: 700 });
  });

  it("sums CPU time and lists memory over a process and its descendants only", () => {
    const proc = fakeProc([
      { pid: 100, comm: "node", ppid: 1, ticks: [100, 20, 5, 5], rssKb: 102400 }, // start.ts
      { pid: 101, comm: "node", ppid: 100, ticks: [10, 10, 0, 0], rssKb: 51200 }, // serve.mjs primary
      { pid: 102, comm: "node worker", ppid: 101, ticks: [300, 100, 0, 0], rssKb: 204800 },
      { pid: 103, comm: "node worker", ppid: 101, ticks: [200, 100, 0, 0], rssKb: 256000 },
      { pid: 200, comm: "bench", ppid: 1, ticks: [9999, 9999, 0, 0], rssKb: 1024 }, // not the server's
    ]);
    try {
      expect(
        processTree(100, proc)
          .map((s) => s.pid)
          .sort(),
      ).toEqual([100, 101, 102, 103]);
      expect(treeCpuMs(100, proc)).toBe((130 + 20 + 400 + 300) * 10);
      expect(treeCpuMs(102, proc)).toBe(4000);
      expect(treeRssMb(100, proc).sort((a, b) => a - b)).toEqual([50, 100, 200, 250]);
      expect(processTree(999, proc)).toEqual([]);
    } finally {
      fs.rmSync(proc, { recursive: true, force: true });
    }
  });

  it.skipIf(process.platform !== "linux")("reads this process from the real /proc", () => {
    const start = treeCpuMs(process.pid);
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i % 7;
    expect(x).toBeGreaterThan(0);
    expect(treeCpuMs(process.pid)).toBeGreaterThan(start);
    expect(Math.max(...treeRssMb(process.pid))).toBeGreaterThan(10);
  });
});

describe("bench table", () => {
  it("prints one Markdown row per operation with rate, latency, CPU per operation and memory", () => {
    const table = formatTable([
      { operation: "Idle poll", perSecond: 1234.4, p50: 3.12345, p99: 28.05, cpuMs: 0.456, rssMaxMb: 180.4, rssTotalMb: 512.6 },
      { operation: "SCEP enrollment", perSecond: 59, p50: 20, p99: 80, cpuMs: 12.345, rssMaxMb: 200, rssTotalMb: 600, note: "3 requests per op" },
      { operation: "empty", perSecond: NaN, p50: NaN, p99: NaN, cpuMs: NaN, rssMaxMb: 1, rssTotalMb: 1 },
    ]);
    const lines = table.split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^\| Operation +\| ops\/s \| p50 ms \| p99 ms \| server CPU ms\/op \| RSS MB \(max proc \/ total\) \|$/);
    expect(lines[1]).toMatch(/^\|-+\|-+:\|-+:\|-+:\|-+:\|-+:\|$/);
    const cells = (l: string) =>
      l
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim());
    expect(cells(lines[2])).toEqual(["Idle poll", "1234", "3.1", "28.1", "0.46", "180 / 513"]);
    expect(cells(lines[3])).toEqual(["SCEP enrollment (3 requests per op)", "59", "20.0", "80.0", "12.35", "200 / 600"]);
    expect(cells(lines[4])).toEqual(["empty", "–", "–", "–", "–", "1 / 1"]);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1); // columns line up
  });
});
