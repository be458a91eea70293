// Portal e2e steps: signing in through the real OIDC provider (e2e/oidc/server.mjs).
import { expect, type Page } from "@playwright/test";

export const IDP_PASSWORD = "correct horse";

/** Starts "Sign in with Example IdP" and fills the provider's login form (and consent). */
export async function signInWithIdp(page: Page, email: string, password = IDP_PASSWORD): Promise<void> {
  await page.goto("/signin");
  await page.getByRole("button", { name: "Sign in with Example IdP" }).click();
  await page.waitForURL((url) => url.origin === process.env.E2E_OIDC_URL);
  await page.locator('input[name="login"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole("button", { name: "Sign-in" }).click();
  if (password !== IDP_PASSWORD) return;
  // First sign-in of a session: the provider asks for consent.
  const consent = page.getByRole("button", { name: "Continue" });
  await Promise.race([consent.waitFor({ timeout: 15_000 }).catch(() => undefined), page.waitForURL(/\/admin/, { timeout: 15_000 }).catch(() => undefined)]);
  if (await consent.isVisible().catch(() => false)) await consent.click();
  await expect(page).toHaveURL(/\/admin/);
}

/** The signed-in admin's role as the sidebar shows it. */
export function roleLabel(page: Page) {
  return page.locator("aside").getByText(/^(Owner|Admin|Read-only)$/);
}
