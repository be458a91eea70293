// A fresh install with no configuration at all: the first visit leads to the one-time
// setup page, the owner created there lands signed in on the dashboard with the first-run
// checklist, and a restart keeps everything.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { startFreshServer, stopServer } from "./freshServer";

// In the run's own port range (E2E_PORT+1..+9; walk.spec uses +2 and +3).
const port = Number(process.env.E2E_PORT ?? 3100) + 4;
const base = `http://localhost:${port}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "enroll-fresh-"));

const startServer = () => startFreshServer(port, dataDir);

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
