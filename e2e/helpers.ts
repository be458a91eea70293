// Shared steps for e2e tests.
import { execFileSync } from "node:child_process";
import { expect, type Page, type Response } from "@playwright/test";
import type { Role } from "@/lib/auth/roles";
import { E2E_ADMIN, e2eDataEnv } from "../playwright.config";

export { E2E_ADMIN };

/** Signs in with the local (break-glass) owner account created from ADMIN_EMAIL/ADMIN_PASSWORD. */
export async function signInAsOwner(page: Page): Promise<void> {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/admin/);
}

/**
 * An API key made the way an operator makes one (`npm run admin -- api-key create`), on the
 * running server's data directory and database. Returns the key (oek_…).
 */
export function createApiKeyViaCli(name: string, role?: Role): string {
  const args = ["--import", "tsx", "scripts/admin.ts", "api-key", "create", "--name", name, ...(role ? ["--role", role] : [])];
  return execFileSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, ...e2eDataEnv() } }).trim();
}

/**
 * On the e2e IdP's login page (oidc-provider's development interactions): signs in as email,
 * gives consent, and returns our /authenticate/callback response. Its redirect goes to an
 * apple-remotemanagement-user-login: URL that a browser cannot open; the device's
 * authentication session intercepts exactly that redirect, so tests read it from here.
 */
export async function completeIdpSignIn(page: Page, email: string): Promise<Response> {
  await page.locator('input[name="login"]').fill(email);
  await page.locator('input[name="password"]').fill("correct horse");
  await page.locator('button[type="submit"]').click();
  const callback = page.waitForResponse((r) => new URL(r.url()).pathname === "/authenticate/callback");
  await page.getByRole("button", { name: "Continue" }).click();
  return callback;
}

export const IPHONE = {
  viewport: { width: 390, height: 844 },
  userAgent:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 3,
};
