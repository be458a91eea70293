// The import-direction rule: scripts/check-layers.ts passes on the tree, fails on a planted
// upward import and on a planted next/* import in lib/, and its import reader misses no
// import that esbuild (a parser nobody here wrote) finds. The same check holds the HTTP
// edge: only lib/http and app/ read a Request or build a Response.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { afterEach, describe, expect, it } from "vitest";
import { listSources, importsOf } from "@/scripts/importGraph";

const ROOT = path.resolve(import.meta.dirname, "../..");

function runChecker(root: string) {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/check-layers.ts"), root], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const copies: string[] = [];
afterEach(() => {
  for (const dir of copies.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A copy of the checked folders (not node_modules or generated code) to plant imports in. */
function copyTree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "layers-"));
  copies.push(dir);
  for (const top of ["lib", "app", "components"]) {
    fs.cpSync(path.join(ROOT, top), path.join(dir, top), { recursive: true, filter: (src) => !src.includes(`${path.sep}generated`) });
  }
  return dir;
}

function plant(root: string, file: string, lines: string) {
  const p = path.join(root, file);
  fs.writeFileSync(p, `${lines}\n${fs.readFileSync(p, "utf8")}`);
}

describe("check-layers", () => {
  it("passes on the tree as it is", () => {
    const r = runChecker(ROOT);
    expect(r.out).toContain("imports go downward only");
    expect(r.code).toBe(0);
  });

  it("fails on an upward import between domains, naming the file and line", () => {
    const root = copyTree();
    plant(root, "lib/pki/ca.ts", 'import { enqueueCommand } from "../mdm/commands";');
    const r = runChecker(root);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^lib\/pki\/ca\.ts:1: "\.\.\/mdm\/commands": lib\/pki imports a domain above it, lib\/mdm/m);
  });

  it("fails on next/navigation (and next itself) imported in lib/", () => {
    const root = copyTree();
    plant(root, "lib/scep/url.ts", 'import { redirect } from "next/navigation";');
    plant(root, "lib/errors/index.ts", 'import type { NextConfig } from "next";');
    const r = runChecker(root);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^lib\/scep\/url\.ts:1: "next\/navigation": lib\/ imports Next\.js/m);
    expect(r.out).toMatch(/^lib\/errors\/index\.ts:1: "next": lib\/ imports Next\.js/m);
  });

  it("reads every form of import: alias, multi-line, re-export, dynamic, type-only; a domain of the same row; lib importing app", () => {
    const root = copyTree();
    plant(root, "lib/profiles/signProfile.ts", 'import type {\n  Device,\n} from "@/lib/inventory/devices";');
    plant(root, "lib/enrollment/qr.ts", 'export * from "../mdm/commands";');
    plant(root, "lib/db/migrate.ts", 'const later = () => import("../secrets/hash");');
    plant(root, "lib/plist/types.ts", 'import "../i18n";');
    plant(root, "lib/log/logger.ts", 'import { x } from "@/app/admin/_lib/action";');
    const r = runChecker(root);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^lib\/profiles\/signProfile\.ts:3: "@\/lib\/inventory\/devices"/m);
    expect(r.out).toMatch(/^lib\/enrollment\/qr\.ts:1: "\.\.\/mdm\/commands"/m);
    expect(r.out).toMatch(/^lib\/db\/migrate\.ts:1: "\.\.\/secrets\/hash"/m);
    expect(r.out).toMatch(/^lib\/plist\/types\.ts:1: "\.\.\/i18n": lib\/plist imports a domain of its own layer/m);
    expect(r.out).toMatch(/^lib\/log\/logger\.ts:1: "@\/app\/admin\/_lib\/action": lib\/ imports app\//m);
  });

  it("does not read imports in comments or strings", () => {
    const root = copyTree();
    plant(root, "lib/pki/der.ts", '// import { x } from "../mdm/commands";\n/* export * from "../mdm/push"; */\nconst example = `import "../mdm/push"`;\nvoid example;');
    expect(runChecker(root).code).toBe(0);
  });

  it("fails on a Response built or a Request read in lib/ outside lib/http, naming the file and line", () => {
    const root = copyTree();
    plant(root, "lib/scep/url.ts", "export const answer = () => new Response(null, { status: 204 });");
    plant(root, "lib/pki/der.ts", "export const asJson = (x: unknown) => Response.json(x);");
    plant(root, "lib/mdm/apiInput.ts", 'export async function readIt(request: Request) {\n  return request.headers.get("x");\n}');
    const r = runChecker(root);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^lib\/scep\/url\.ts:1: "new Response\(": lib\/ builds a Response/m);
    expect(r.out).toMatch(/^lib\/pki\/der\.ts:1: "Response\.json\(": lib\/ builds a Response/m);
    expect(r.out).toMatch(/^lib\/mdm\/apiInput\.ts:1: "Request": lib\/ reads the Request/m);
    expect(r.out).toContain("3 use(s) of Request/Response in lib/ outside lib/http");
  });

  it("lets lib/http build responses, fetch() answers be read, and prose name Request and Response", () => {
    const root = copyTree();
    plant(root, "lib/http/query.ts", 'export const empty = (req: Request) => new Response(null, { status: req.method === "HEAD" ? 200 : 204 });');
    plant(root, "lib/scep/url.ts", "export async function size(res: Response): Promise<number> {\n  return (await res.arrayBuffer()).byteLength;\n}");
    plant(
      root,
      "lib/pki/der.ts",
      '// the route reads the Request and makes new Response(…)\nconst title = "Request refused";\nconst doc = `new Response(` + title;\nvoid doc;\ntype MdmRequestLike = { kind: "x" };\nexport type { MdmRequestLike };',
    );
    const r = runChecker(root);
    expect(r.out).toContain("only lib/http and app/ touch Request and Response");
    expect(r.code).toBe(0);
  });

  it("misses no runtime import that esbuild finds in lib/, app/ and components/", async () => {
    const files = listSources(ROOT, ["lib", "app", "components"]).filter((f) => !/\.test\.tsx?$/.test(f));
    const result = await build({
      entryPoints: files.map((f) => path.join(ROOT, f)),
      absWorkingDir: ROOT,
      bundle: true,
      write: false,
      metafile: true,
      outdir: path.join(os.tmpdir(), "layers-esbuild"),
      platform: "node",
      format: "esm",
      packages: "external",
      alias: { "@": ROOT },
      loader: { ".css": "empty", ".svg": "empty", ".yaml": "text", ".json": "json" },
      logLevel: "silent",
    });
    const missed: string[] = [];
    let compared = 0;
    for (const [input, meta] of Object.entries(result.metafile.inputs)) {
      // Generated Prisma code is not checked; JSX files get react/jsx-runtime from the compiler.
      if (!/^(lib|app|components)\//.test(input) || !/\.tsx?$/.test(input) || input.includes("/generated/")) continue;
      const ours = new Set(importsOf(ROOT, input).map((e) => e.target ?? e.specifier));
      for (const imp of meta.imports.filter((i) => i.path !== "react/jsx-runtime")) {
        const known = ours.has(imp.path);
        compared++;
        if (!known) missed.push(`${input} -> ${imp.original ?? imp.path}`);
      }
    }
    expect(compared).toBeGreaterThan(1000);
    expect(missed).toEqual([]);
  });
});
