// docs/openapi.yaml is generated from the fragments and documents every /api/v1 route
// with each method the route exports.
import fs from "node:fs";
import path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { buildOpenApi } from "@/scripts/openapi";

function routes(dir = "app/api/v1"): { path: string; methods: string[] }[] {
  const out: { path: string; methods: string[] }[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === "route.ts") {
        const src = fs.readFileSync(p, "utf8");
        const methods = ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => new RegExp(`export (const|async function|function) ${m}\\b`).test(src));
        const rel = path
          .relative(dir, path.dirname(p))
          .split(path.sep)
          .map((s) => s.replace(/^\[(\w+)\]$/, "{$1}"));
        out.push({ path: `/${rel.join("/")}`, methods });
      }
    }
  };
  walk(dir);
  return out;
}

describe("OpenAPI document", () => {
  it("is generated from the current fragments (run `npm run openapi`)", () => {
    expect(fs.readFileSync("docs/openapi.yaml", "utf8")).toBe(buildOpenApi());
  });

  it("documents every /api/v1 route and method", () => {
    const doc = yaml.load(fs.readFileSync("docs/openapi.yaml", "utf8")) as { paths: Record<string, Record<string, unknown>> };
    const missing: string[] = [];
    for (const r of routes()) {
      // Path parameter names may differ between the file system and the document.
      const key = Object.keys(doc.paths).find((k) => k.replace(/\{[^}]+\}/g, "{}") === r.path.replace(/\{[^}]+\}/g, "{}"));
      for (const m of r.methods) if (!key || !doc.paths[key][m.toLowerCase()]) missing.push(`${m} ${r.path}`);
    }
    expect(missing).toEqual([]);
  });
});
