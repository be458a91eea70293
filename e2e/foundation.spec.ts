// The foundation's promises, checked against the real server in Chromium:
// sign-in works, every admin page and admin API refuses strangers, API keys work.
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { createApiKeyViaCli, signInAsOwner } from "./helpers";

function routeFiles(dir: string, file: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === file) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** App Router file path → a concrete URL path (dynamic segments get a placeholder). */
function urlFor(file: string, root: string): string {
  const rel = path
    .relative(root, path.dirname(file))
    .split(path.sep)
    .filter((s) => !/^\(.*\)$/.test(s));
  return `/${rel.map((s) => (s.startsWith("[") ? "placeholder" : s)).join("/")}`;
}

test("the sign-in page renders in Chromium and the owner signs in", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByRole("heading", { name: "Open Enroll" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign in with Example IdP" })).toBeVisible();
  await signInAsOwner(page);
  await expect(page.getByRole("navigation", { name: "Main" }).first()).toBeAttached();
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  await page.goto("/signin");
  await page.getByLabel("Email").fill("owner@example.com");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "not correct" })).toBeVisible();
  await expect(page).toHaveURL(/\/signin/);
});

test("signed out, every admin page redirects to sign-in", async ({ page }) => {
  const pages = routeFiles("app/admin", "page.tsx").map((f) => urlFor(f, "app"));
  expect(pages.length).toBeGreaterThan(0);
  for (const p of pages) {
    const res = await page.goto(p);
    expect(res?.status(), p).toBeLessThan(400);
    await expect(page, p).toHaveURL(/\/signin/);
  }
});

test("signed out, every admin API route answers 401", async ({ request }) => {
  const files = routeFiles("app/api/v1", "route.ts");
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) {
    const url = urlFor(f, "app");
    const src = fs.readFileSync(f, "utf8");
    const methods = ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => new RegExp(`export (const|async function|function) ${m}\\b|export \\{[^}]*\\b${m}\\b`).test(src));
    expect(methods.length, f).toBeGreaterThan(0);
    for (const method of methods) {
      const res = await request.fetch(url, { method, data: method === "GET" ? undefined : {} });
      expect(res.status(), `${method} ${url}`).toBe(401);
      const forged = await request.fetch(url, { method, headers: { authorization: "Bearer oek_000000000000_notarealkeynotarealkey00" }, data: method === "GET" ? undefined : {} });
      expect(forged.status(), `${method} ${url} with a wrong key`).toBe(401);
    }
  }
});

test("an API key from `npm run admin -- api-key create` authenticates /api/v1", async ({ request }) => {
  const key = createApiKeyViaCli("ci");
  expect(key).toMatch(/^oek_[0-9a-f]{12}_/);
  const ok = await request.get("/api/v1/health", { headers: { authorization: `Bearer ${key}` } });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).caller.name).toBe("ci");
  const wrong = await request.get("/api/v1/health", { headers: { authorization: `Bearer ${key.slice(0, -2)}xx` } });
  expect(wrong.status()).toBe(401);
});

test("the public health endpoint reports the database and migrations", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  expect(await res.json()).toMatchObject({ ok: true, database: "ok", migrations: "current" });
});

test("browsers asking for /favicon.ico get the app icon, not a 404", async ({ request }) => {
  const res = await request.get("/favicon.ico");
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toMatch(/image/);
});
