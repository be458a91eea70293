// Lists exports of lib/, components/ and scripts/ that no other file imports (tests count as
// users). Framework entry points (app/ routes, pages, layouts) are not checked. Prints
// "file: name" lines; exit 1 when there are any.
// Usage: tsx scripts/unused-exports.ts [root]
import fs from "node:fs";
import path from "node:path";
import { listSources } from "./importGraph";

const root = path.resolve(process.argv[2] ?? ".");
const all = listSources(root, ["lib", "app", "components", "scripts", "test", "e2e", "bench"]);
const extra = ["instrumentation.ts", "proxy.ts", "playwright.config.ts", "vitest.config.ts", "prisma.config.ts"].filter((f) => fs.existsSync(path.join(root, f)));
const files = [...all, ...extra];
const checked = all.filter((f) => /^(lib|components|scripts)\//.test(f) && !/\.test\.tsx?$/.test(f));

const resolve = (from: string, spec: string): string | undefined => {
  let base: string;
  if (spec.startsWith("@/")) base = spec.slice(2);
  else if (spec.startsWith(".")) base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  else return undefined;
  return [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`].find((c) => fs.statSync(path.join(root, c), { throwIfNoEntry: false })?.isFile());
};

// file -> names imported from it by others ("*" = the whole module)
const used = new Map<string, Set<string>>();
const use = (file: string | undefined, name: string) => {
  if (!file) return;
  if (!used.has(file)) used.set(file, new Set());
  used.get(file)?.add(name);
};
const names = (list: string) =>
  list
    .split(",")
    .map((s) =>
      s
        .trim()
        .replace(/^type\s+/, "")
        .split(/\s+as\s+/)[0]
        .trim(),
    )
    .filter(Boolean);

for (const f of files) {
  const src = fs.readFileSync(path.join(root, f), "utf8");
  for (const m of src.matchAll(/(?:import|export)\s+(?:type\s+)?\{([^}]*)\}\s*from\s*["']([^"']+)["']/g)) for (const n of names(m[1])) use(resolve(f, m[2]), n);
  for (const m of src.matchAll(/import\s+(?:type\s+)?(\w+)\s*(?:,\s*\{([^}]*)\})?\s*from\s*["']([^"']+)["']/g)) {
    use(resolve(f, m[3]), "default");
    if (m[2]) for (const n of names(m[2])) use(resolve(f, m[3]), n);
  }
  for (const m of src.matchAll(/(?:import|export)\s+\*\s+(?:as\s+\w+\s+)?from\s*["']([^"']+)["']/g)) use(resolve(f, m[1]), "*");
  // const { a, b } = await import("…"), and import("…") used as a whole
  for (const m of src.matchAll(/(?:const|let)\s*\{([^}]*)\}\s*=\s*await\s+import\(\s*["']([^"']+)["']\s*\)/g)) for (const n of names(m[1].replace(/:\s*\w+/g, ""))) use(resolve(f, m[2]), n);
  for (const m of src.matchAll(/vi\.mock\(\s*["']([^"']+)["']/g)) use(resolve(f, m[1]), "*");
}

let count = 0;
for (const f of checked) {
  const u = used.get(f);
  if (u?.has("*")) continue;
  const src = fs.readFileSync(path.join(root, f), "utf8");
  for (const m of src.matchAll(/^export\s+(?:default\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type|enum|abstract\s+class)\s+(\w+)/gm)) {
    if (u?.has(m[1])) continue;
    // Still used inside its own file: only the export keyword is unused.
    const inside = (src.match(new RegExp(`\\b${m[1]}\\b`, "g")) ?? []).length > 1;
    console.log(`${f}: ${m[1]}${inside ? " (used in its file)" : ""}`);
    count++;
  }
}
if (count) process.exit(1);
