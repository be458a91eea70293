// A fresh install with no configuration at all: the first visit leads to the one-time
// setup page, the owner created there lands signed in on the dashboard with the first-run
// checklist, and a restart keeps everything.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { E2E_DIST_DIR } from "../playwright.config";

const port = Number(process.env.E2E_PORT ?? 3100) + 10;
const base = `http://localhost:${port}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "enroll-fresh-"));

async function startServer(): Promise<ChildProcess> {
  // Only what a fresh machine has: no ADMIN_*, no MDM_SECRET, no DATABASE_URL, no IdP.
  const env: NodeJS.ProcessEnv = { NODE_ENV: "production", PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), DATA_DIR: dataDir, NEXT_DIST_DIR: E2E_DIST_DIR, LOG_LEVEL: "warn" };
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], { env, stdio: ["ignore", "ignore", "pipe"] });
  for (let i = 0; i < 240; i++) {
    const ok = await fetch(`${base}/api/health`).then((r) => r.ok).catch(() => false);
    if (ok) return child;
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("server did not become healthy");
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

test.describe.configure({ mode: "serial" });

test("first visit → setup → owner lands signed in; a restart keeps the owner and refuses a second setup", async ({ page }) => {
  test.setTimeout(240_000);
  let server = await startServer();
  try {
    expect(fs.statSync(path.join(dataDir, "secret.key")).mode & 0o777).toBe(0o600);
    await page.goto(`${base}/`);
    await expect(page).toHaveURL(/\/setup$/);
    await page.getByLabel("Email").fill("first.owner@example.org");
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByLabel("Confirm password").fill("short");
    await page.getByRole("button", { name: "Create owner account" }).click();
    // The browser's own minlength check or our message: either way no account yet.
    await expect(page).toHaveURL(/\/setup$/);
    // The server refuses mismatched passwords: what was typed stays, the field says why.
    await page.getByLabel("Name").fill("First Owner");
    await page.getByLabel("Password", { exact: true }).fill("a very good password");
    await page.getByLabel("Confirm password").fill("a different password");
    await page.getByRole("button", { name: "Create owner account" }).click();
    await expect(page.locator("main").getByRole("alert")).toContainText("do not match");
    await expect(page.getByLabel("Confirm password")).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByLabel("Email")).toHaveValue("first.owner@example.org");
    await expect(page.getByLabel("Name")).toHaveValue("First Owner");
    await page.getByLabel("Confirm password").fill("a very good password");
    await page.getByRole("button", { name: "Create owner account" }).click();
    // Signed in at once: the dashboard, with the first-run checklist (PUBLIC_URL is http here).
    await expect(page).toHaveURL(new RegExp(`${base}/admin\\?setup=done`));
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    const checklist = page.getByRole("region", { name: "Finish setting up" });
    await expect(checklist).toBeVisible();
    await expect(checklist.locator('[data-step="https"]')).toContainText("Warning");
    await expect(checklist.getByRole("link", { name: "Upload the push certificate" })).toHaveAttribute("href", "/admin/settings#apns");
    await checklist.getByRole("button", { name: "Keep the generated CA" }).click();
    await expect(checklist.locator('[data-step="ca"]')).toHaveAttribute("data-done", "true");

    await stopServer(server);
    server = await startServer();

    await page.context().clearCookies();
    await page.goto(`${base}/setup`);
    await expect(page).toHaveURL(/\/signin/);
    await page.getByLabel("Email").fill("first.owner@example.org");
    await page.getByLabel("Password").fill("a very good password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${base}/admin`));
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  } finally {
    await stopServer(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
