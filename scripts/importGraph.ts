// Reads the import graph of the source tree: every static import, re-export and dynamic
// import() with a literal specifier, resolved to a repository-relative path when it is local.
import fs from "node:fs";
import path from "node:path";

export interface ImportEdge {
  /** Importing file, relative to the root, with forward slashes. */
  from: string;
  /** The specifier as written. */
  specifier: string;
  /** Repository-relative target for local imports ("lib/pki/ca"), undefined for packages. */
  target?: string;
  line: number;
}

const SOURCE = /\.(ts|tsx|mts|cts)$/;
const SKIP_DIRS = new Set(["node_modules", "generated", ".next", "vendor"]);

export function listSources(root: string, dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    if (!fs.existsSync(abs)) return;
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || SKIP_DIRS.has(entry.name)) continue;
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (SOURCE.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(child);
    }
  };
  for (const dir of dirs) walk(dir);
  return out.sort();
}

/** Blanks comments and the bodies of template literals so that examples in them are not read as imports. */
export function stripComments(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (c === "/" && next === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end === -1 ? src.length : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && !(c !== "`" && src[j] === "\n")) j += src[j] === "\\" ? 2 : 1;
      const literal = src.slice(i, j + 1);
      out += c === "`" ? literal.replace(/[^\n`]/g, " ") : literal;
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const PATTERNS = [
  // import x from "y"; import { a } from "y"; export { a } from "y"; export * from "y"; import type …
  /(?:^|[;\s}])(?:import|export)\s+(?:type\s+)?[^;'"`]*?\sfrom\s*["']([^"']+)["']/g,
  // import "y";
  /(?:^|[;\s])import\s*["']([^"']+)["']/g,
  // import("y"), vi.mock("y") is not an import and is not matched
  /(?:^|[^.\w])import\s*\(\s*["']([^"']+)["']\s*\)/g,
];

export function importsOf(root: string, file: string): ImportEdge[] {
  const src = stripComments(fs.readFileSync(path.join(root, file), "utf8"));
  const edges: ImportEdge[] = [];
  const seen = new Set<string>();
  for (const pattern of PATTERNS) {
    for (const match of src.matchAll(pattern)) {
      const specifier = match[1];
      const at = match.index + match[0].lastIndexOf(specifier);
      const line = src.slice(0, at).split("\n").length;
      const key = `${line}:${specifier}`;
      if (seen.has(key)) continue;
      seen.add(key);
      edges.push({ from: file, specifier, target: resolveLocal(root, file, specifier), line });
    }
  }
  return edges.sort((a, b) => a.line - b.line);
}

function resolveLocal(root: string, from: string, specifier: string): string | undefined {
  let base: string;
  if (specifier.startsWith("@/")) base = path.posix.normalize(specifier.slice(2));
  else if (specifier.startsWith(".")) base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  else return undefined;
  // The file it names, so that "lib/errors" (a folder) and "lib/health" (a file) are told apart.
  const candidates = [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`];
  return candidates.find((c) => fs.statSync(path.join(root, c), { throwIfNoEntry: false })?.isFile()) ?? base;
}

export function importGraph(root: string, dirs: string[]): ImportEdge[] {
  return listSources(root, dirs).flatMap((file) => importsOf(root, file));
}
