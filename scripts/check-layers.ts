// The import-direction rule (docs: CONTRIBUTING.md › Layout). Domains of lib/ import downward
// only, so each can be read and tested without the ones above it; app/ and components/ sit
// on top; lib/ never imports Next.js (next, next/*), so no domain knows it runs in Next.
// One convention at the HTTP edge: only lib/http and app/ read a Request or build a Response;
// the other domains take plain values and return data or throw typed errors.
// Usage: tsx scripts/check-layers.ts [root]   (exit 1 and one line per violation)
import fs from "node:fs";
import path from "node:path";
import { importGraph, listSources, stripComments, type ImportEdge } from "./importGraph";

/**
 * Bottom first. A domain may import the domains of the rows below its own; domains in the
 * same row are independent of each other. "(root)" is lib/*.ts (start-up wiring).
 */
export const LAYERS: string[][] = [
  ["config"],
  ["errors"],
  ["plist", "i18n", "cluster"],
  ["db"],
  ["log"],
  ["secrets"],
  ["http"],
  ["auth"],
  ["settings"],
  ["pki"],
  ["scep", "attestation"],
  ["acme"],
  ["profiles"],
  ["enrollment"],
  ["mdm"],
  ["inventory"],
  ["jobs"],
  ["(root)"],
];

/** Folders above lib/: they may import any of it, and lib/ imports none of them. */
const TOP = ["components", "app"];

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  why: string;
}

function rankOf(domain: string): number | undefined {
  const i = LAYERS.findIndex((row) => row.includes(domain));
  return i === -1 ? undefined : i;
}

/** "lib/pki" for lib/pki/…, "lib/(root)" for lib/x.ts, "app" for app/…; undefined outside the checked tree. */
function areaOf(file: string): string | undefined {
  const parts = file.split("/");
  if (parts[0] === "lib") return parts.length > 2 ? `lib/${parts[1]}` : "lib/(root)";
  if (TOP.includes(parts[0])) return parts[0];
  return undefined;
}

const isTest = (file: string) => /\.test\.tsx?$/.test(file);

export function checkEdge(e: ImportEdge): Violation | null {
  const from = areaOf(e.from);
  // app/ and components/ may import each other (client components import server actions).
  if (!from?.startsWith("lib/")) return null;
  if (/^next(\/|$)/.test(e.specifier)) return { file: e.from, line: e.line, specifier: e.specifier, why: "lib/ imports Next.js; the caller in app/ does that part" };
  if (!e.target) return null;
  const to = areaOf(e.target);
  if (to === undefined || to === from) return null;
  if (!to.startsWith("lib/")) return { file: e.from, line: e.line, specifier: e.specifier, why: `lib/ imports ${to}/` };
  const a = from.slice(4);
  const b = to.slice(4);
  const ra = rankOf(a);
  const rb = rankOf(b);
  if (ra === undefined) return { file: e.from, line: e.line, specifier: e.specifier, why: `lib/${a} is not in the layer list (scripts/check-layers.ts LAYERS)` };
  if (rb === undefined) return { file: e.from, line: e.line, specifier: e.specifier, why: `lib/${b} is not in the layer list (scripts/check-layers.ts LAYERS)` };
  if (rb < ra) return null;
  const how = rb === ra ? "a domain of its own layer" : "a domain above it";
  return { file: e.from, line: e.line, specifier: e.specifier, why: `lib/${a} imports ${how}, lib/${b}; move the function down or pass it in` };
}

/** Violations in the tree at root. Tests may reach upward for fixtures; the rule is about the product. */
export function checkLayers(root: string): Violation[] {
  return importGraph(root, ["lib", ...TOP])
    .filter((e) => !isTest(e.from))
    .map(checkEdge)
    .filter((v): v is Violation => v !== null);
}

/** Code that reads the Request or builds a Response; fetch()'s answers (a Response read, not made) are fine. */
const EDGE_CODE: { pattern: RegExp; why: string }[] = [
  {
    pattern: /\bnew\s+Response\s*\(|\bResponse\s*\.\s*(?:json|redirect|error)\s*\(/g,
    why: "lib/ builds a Response; return data (an HttpFile) or throw an AppError and let app/ answer (lib/http/respond.ts)",
  },
  { pattern: /(?<![.\w$])Request(?![\w$])/g, why: "lib/ reads the Request; the route reads it (lib/http/body.ts, form.ts) and hands lib/ plain values" },
];

/** Quoted strings blanked (comments and template bodies are already), so prose is not read as code. */
function codeOf(src: string): string {
  return stripComments(src).replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, (m) => m.replace(/./g, " "));
}

/** lib/ outside lib/http that touches Request or Response (the edge belongs to lib/http and app/). */
export function checkHttpEdge(root: string): Violation[] {
  const out: Violation[] = [];
  for (const file of listSources(root, ["lib"])) {
    if (file.startsWith("lib/http/") || isTest(file)) continue;
    const code = codeOf(fs.readFileSync(path.join(root, file), "utf8"));
    for (const { pattern, why } of EDGE_CODE) {
      for (const m of code.matchAll(pattern)) out.push({ file, line: code.slice(0, m.index).split("\n").length, specifier: m[0], why });
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("check-layers.ts")) {
  const root = path.resolve(process.argv[2] ?? ".");
  const found = checkLayers(root);
  const edge = checkHttpEdge(root);
  for (const v of [...found, ...edge]) console.error(`${v.file}:${v.line}: "${v.specifier}": ${v.why}`);
  if (found.length) console.error(`check-layers: ${found.length} upward import(s). Order, bottom first: ${LAYERS.map((r) => r.join(" ")).join(" < ")} < ${TOP.join(" < ")}`);
  if (edge.length) console.error(`check-layers: ${edge.length} use(s) of Request/Response in lib/ outside lib/http (CONTRIBUTING.md › Adding an endpoint)`);
  if (found.length || edge.length) process.exit(1);
  console.log("check-layers: imports go downward only; only lib/http and app/ touch Request and Response");
}
