// "Dependencies declared as used": every package that the server needs to build and run
// (`npm ci --omit=dev && npm start`) is a dependency, not a devDependency. Read from the
// import graph of what production runs: lib/, app/, components/, the start and serve
// scripts, the install step (postinstall) and the Next/PostCSS configuration.
import fs from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { importsOf, listSources } from "@/scripts/importGraph";

const ROOT = path.resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> };

/** Files production runs, besides lib/, app/ and components/. */
const ENTRY_FILES = [
  "proxy.ts",
  "instrumentation.ts",
  "scripts/start.ts",
  "scripts/serve.mjs",
  "scripts/admin.ts",
  "scripts/prisma-generate.mjs",
  "scripts/schema-variants.mjs",
  "next.config.js",
  "postcss.config.mjs",
];

function packageOf(specifier: string): string | null {
  if (specifier.startsWith(".") || specifier.startsWith("@/") || specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0])) return null;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
}

function runtimePackages(): Map<string, string> {
  const found = new Map<string, string>();
  const files = [...listSources(ROOT, ["lib", "app", "components"]).filter((f) => !/\.test\.tsx?$/.test(f)), ...ENTRY_FILES];
  for (const file of files) {
    for (const e of importsOf(ROOT, file)) {
      const name = packageOf(e.specifier);
      if (name && !found.has(name)) found.set(name, `${file}:${e.line}`);
    }
  }
  // Used by name rather than imported: PostCSS plugins, the stylesheet's @import, the
  // programs the npm scripts and the postinstall step run.
  const postcss = fs.readFileSync(path.join(ROOT, "postcss.config.mjs"), "utf8");
  for (const m of postcss.matchAll(/"(@?[\w./-]+)":\s*\{/g)) found.set(packageOf(m[1]) ?? m[1], "postcss.config.mjs");
  const css = fs.readFileSync(path.join(ROOT, "app/globals.css"), "utf8");
  for (const m of css.matchAll(/@import\s+"([^".][^"]*)"/g)) found.set(packageOf(m[1]) ?? m[1], "app/globals.css");
  for (const script of ["start", "postinstall", "admin"]) {
    const program = pkg.scripts[script]?.split(" ")[0];
    if (program && program !== "node") found.set(program, `package.json scripts.${script}`);
  }
  // npm start builds the app on first start; with a tsconfig.json, next build needs these
  // (next/dist/lib/verify-typescript-setup.js; without them it installs them itself).
  if (fs.existsSync(path.join(ROOT, "tsconfig.json"))) for (const name of ["typescript", "@types/react", "@types/node"]) found.set(name, "next build (tsconfig.json)");
  const generate = fs.readFileSync(path.join(ROOT, "scripts/prisma-generate.mjs"), "utf8");
  for (const m of generate.matchAll(/node_modules\/((?:@[\w.-]+\/)?[\w.-]+)\//g)) found.set(m[1], "scripts/prisma-generate.mjs");
  return found;
}

describe("dependencies", () => {
  it("declares every package production imports or runs as a dependency", () => {
    const found = runtimePackages();
    expect(found.get("next")).toBeDefined(); // the reader works
    expect(found.get("tailwindcss")).toBe("app/globals.css");
    const missing = [...found].filter(([name]) => !(name in pkg.dependencies)).map(([name, where]) => `${name} (${where})${name in pkg.devDependencies ? " is a devDependency" : " is not declared"}`);
    expect(missing).toEqual([]);
  });
});
