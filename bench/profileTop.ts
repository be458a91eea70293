// Summarises V8 CPU profiles (`node --cpu-prof`, e.g. from BENCH_PROFILE=<dir> npm run bench):
// self time per function and inclusive time per function, across every .cpuprofile given.
// Run: npx tsx bench/profileTop.ts <file-or-dir>... [--top=40] [--match=regex] [--stacks=regex]
// [--window=regex]: only samples taken while a bench operation whose name matches ran (the
// bench writes windows.jsonl into BENCH_PROFILE; V8 profiles and process.hrtime share the
// monotonic clock).
import fs from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const top = Number(args.find((a) => a.startsWith("--top="))?.slice(6) ?? 40);
const match = args.find((a) => a.startsWith("--match="))?.slice(8);
/** --stacks=regex: the heaviest call stacks (8 frames up) of samples whose leaf matches. */
const stacksOf = args.find((a) => a.startsWith("--stacks="))?.slice(9);
const windowOf = args.find((a) => a.startsWith("--window="))?.slice(9);
const inputs = args.filter((a) => !a.startsWith("--"));
const files = inputs.flatMap((p) =>
  fs.statSync(p).isDirectory()
    ? fs
        .readdirSync(p)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => path.join(p, f))
    : [p],
);

const short = (url: string) =>
  decodeURIComponent(url)
    .replace(/^file:\/\//, "")
    .replace(/.*\/node_modules\//, "~/")
    .replace(/.*\/wt-[^/]+\//, "")
    .replace(/.*\/\.next\/server\//, ".next/");
// The production build is minified: frames in .next chunks are mapped back through the
// chunks' source maps to the original file, line and name.
const maps = new Map<string, SourceMap | null>();
function sourceMapOf(url: string): SourceMap | null {
  if (!maps.has(url)) {
    let map: SourceMap | null = null;
    try {
      const file = url.startsWith("file://") ? fileURLToPath(url) : url;
      if (file.includes("/.next/") && fs.existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, "utf8")));
    } catch {
      map = null;
    }
    maps.set(url, map);
  }
  return maps.get(url)!;
}
const shortSource = (s: string) =>
  s
    .replace(/^.*?\[project\]\//, "")
    .replace(/^turbopack:\/\/\//, "")
    .replace(/.*\/node_modules\//, "~/");
function label(n: Node): string {
  const f = n.callFrame;
  const map = f.url ? sourceMapOf(f.url) : null;
  const entry = map?.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string; originalLine?: number; name?: string } | undefined;
  if (entry?.originalSource) return `${entry.name ?? f.functionName ?? "(anonymous)"} ${shortSource(entry.originalSource)}:${(entry.originalLine ?? 0) + 1}`;
  return `${f.functionName || "(anonymous)"} ${short(f.url)}:${f.lineNumber + 1}`;
}

function windowsFor(file: string): { startUs: number; endUs: number }[] | null {
  if (!windowOf) return null;
  for (let dir = path.dirname(path.resolve(file)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const f = path.join(dir, "windows.jsonl");
    if (fs.existsSync(f)) {
      const all = fs
        .readFileSync(f, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { operation: string; startUs: number; endUs: number });
      return all.filter((w) => new RegExp(windowOf).test(w.operation));
    }
  }
  throw new Error(`no windows.jsonl above ${file}`);
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const stacks = new Map<string, number>();
/** Self time by where the code lives: a package, our lib/ or app/, Node itself, or native. */
const areas = new Map<string, number>();
function areaOf(l: string): string {
  const file = decodeURIComponent(l.slice(l.lastIndexOf(" ") + 1));
  const pkg = /~\/((?:@[^/]+\/)?[^/]+)/.exec(file) ?? /\/(@[^/]+\/[^/]+)/.exec(file);
  if (pkg) return pkg[1];
  if (/(^|\/)(lib|app)\//.test(file)) return `ours: ${/(?:^|\/)((?:lib|app)\/[^/]+)/.exec(file)![1]}`;
  if (file.startsWith("node:")) return "node (runtime)";
  if (file.startsWith("[turbopack]")) return "turbopack runtime";
  return l.startsWith("(garbage collector)") ? "GC" : "native / other";
}
let total = 0;
for (const file of files) {
  const p = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ms = new Map<number, number>();
  const windows = windowsFor(file);
  let at = p.startTime;
  p.samples.forEach((id, i) => {
    at += p.timeDeltas[i] ?? 0;
    if (windows && !windows.some((w) => at >= w.startUs && at <= w.endUs)) return;
    ms.set(id, (ms.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  for (const [id, t] of ms) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === "(idle)" || n.callFrame.functionName === "(program)") continue;
    total += t;
    self.set(label(n), (self.get(label(n)) ?? 0) + t);
    areas.set(areaOf(label(n)), (areas.get(areaOf(label(n))) ?? 0) + t);
    if (stacksOf && new RegExp(stacksOf).test(label(n))) {
      const frames: string[] = [];
      for (let cur: number | undefined = id; cur !== undefined && frames.length < 12; cur = parent.get(cur)) frames.push(label(byId.get(cur)!));
      const key = frames.join("\n      <- ");
      stacks.set(key, (stacks.get(key) ?? 0) + t);
    }
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue; // recursion counts once
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + t);
    }
  }
}

const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (of ${total.toFixed(0)} ms busy in ${files.length} profile(s))`);
  [...m]
    .filter(([l]) => !match || new RegExp(match).test(l))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([l, t]) => {
      console.log(`${t.toFixed(0).padStart(8)} ms ${((t / total) * 100).toFixed(1).padStart(5)}%  ${l}`);
    });
};
if (stacksOf) {
  console.log(`\nHeaviest stacks ending in /${stacksOf}/`);
  [...stacks]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .forEach(([k, t]) => {
      console.log(`${t.toFixed(0).padStart(8)} ms  ${k}\n`);
    });
  process.exit(0);
}
print("Self time by area", areas);
print("Self time", self);
print("Inclusive time", inclusive);
