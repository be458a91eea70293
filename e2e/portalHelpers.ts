// Portal e2e steps. IdP sign-in lives in e2e/helpers.ts (one copy for portal and device flows).
import type { Page } from "@playwright/test";

export { IDP_PASSWORD, signInWithIdp } from "./helpers";

/** The signed-in admin's role as the sidebar shows it. */
export function roleLabel(page: Page) {
  return page.locator("aside").getByText(/^(Owner|Admin|Read-only)$/);
}
