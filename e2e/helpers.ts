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

export const IDP_PASSWORD = "correct horse";

/**
 * On the e2e IdP's login page (oidc-provider's development interactions): signs in as email
 * and gives consent when the provider asks (first sign-in of a browser session). With a wrong
 * password it stops on the provider's error page.
 */
export async function submitIdpLogin(page: Page, email: string, password = IDP_PASSWORD): Promise<void> {
  const idp = new URL(page.url()).origin;
  await page.locator('input[name="login"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole("button", { name: "Sign-in" }).click();
  if (password !== IDP_PASSWORD) return;
  const consent = page.getByRole("button", { name: "Continue" });
  await Promise.race([consent.waitFor({ timeout: 15_000 }).catch(() => undefined), page.waitForURL((url) => url.origin !== idp, { timeout: 15_000 }).catch(() => undefined)]);
  if (await consent.isVisible().catch(() => false)) await consent.click();
}

/** Portal sign-in: "Sign in with Example IdP" on /signin, then the provider's login (and consent). */
export async function signInWithIdp(page: Page, email: string, password = IDP_PASSWORD): Promise<void> {
  await page.goto("/signin");
  await page.getByRole("button", { name: "Sign in with Example IdP" }).click();
  await page.waitForURL((url) => url.origin === process.env.E2E_OIDC_URL);
  await submitIdpLogin(page, email, password);
  if (password === IDP_PASSWORD) await expect(page).toHaveURL(/\/admin/);
}

/**
 * Device sign-in on the IdP's login page: returns our /authenticate/callback response. Its
 * redirect goes to an apple-remotemanagement-user-login: URL that a browser cannot open; the
 * device's authentication session intercepts exactly that redirect, so tests read it from here.
 */
export async function completeIdpSignIn(page: Page, email: string): Promise<Response> {
  const callback = page.waitForResponse((r) => new URL(r.url()).pathname === "/authenticate/callback");
  await submitIdpLogin(page, email);
  return callback;
}

export const IPHONE = {
  viewport: { width: 390, height: 844 },
  userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 3,
};
