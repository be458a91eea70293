// Admin sign-in through the organisation's IdP (a real oidc-provider), roles from the
// allow-list, and a Read-only admin who can look at everything and change nothing.
import { expect, test } from "@playwright/test";
import { signInAsOwner, submitIdpLogin } from "./helpers";
import { roleLabel, signInWithIdp } from "./portalHelpers";

test("an admin signs in through the IdP and gets the Admin role from the group claim", async ({ page }) => {
  await signInWithIdp(page, "admin-ann@example.com");
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await page.setViewportSize({ width: 1280, height: 900 });
  await expect(roleLabel(page)).toHaveText("Admin");
  await page.goto("/admin/groups");
  await expect(page.getByRole("button", { name: "Create group" })).toBeVisible();
  // Replacing the CA is for owners only.
  await page.goto("/admin/settings");
  await expect(page.getByText("Upload the push certificate").or(page.getByText("Replace the push certificate"))).toBeVisible();
  await expect(page.getByText("Import your own CA")).toHaveCount(0);
});

test("a member of the owners group becomes Owner and may replace the CA", async ({ page }) => {
  await signInWithIdp(page, "owner-olga@example.com");
  await expect(roleLabel(page)).toHaveText("Owner");
  await page.goto("/admin/settings");
  await page.getByText("Import your own CA").click();
  await expect(page.getByRole("button", { name: "Import CA" })).toBeVisible();
});

test("a wrong IdP password does not sign anyone in", async ({ page }) => {
  await signInWithIdp(page, "admin-ann@example.com", "wrong horse");
  await expect(page.getByRole("heading", { name: "Wrong password" })).toBeVisible();
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/signin/);
});

test("an IdP user outside the allowed domains is refused", async ({ page }) => {
  await page.goto("/signin");
  await page.getByRole("button", { name: "Sign in with Example IdP" }).click();
  await page.waitForURL((url) => url.origin === process.env.E2E_OIDC_URL);
  await submitIdpLogin(page, "mallory@elsewhere.org");
  await expect(page).toHaveURL(/\/signin\?error=AccessDenied/);
  await expect(page.getByRole("alert").filter({ hasText: "not allowed" })).toBeVisible();
});

test.describe("a Read-only admin", () => {
  test.beforeEach(async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await signInWithIdp(page, "reader@example.com");
    await expect(roleLabel(page)).toHaveText("Read-only");
  });

  test("sees every page without a control that changes anything", async ({ page }) => {
    const pages = [
      "/admin",
      "/admin/devices",
      "/admin/groups",
      "/admin/enrollment",
      "/admin/enrollment/tokens",
      "/admin/enrollment/scep",
      "/admin/enrollment/account-driven",
      "/admin/log",
      "/admin/log/reasons",
      "/admin/settings",
      "/admin/settings/admins",
      "/admin/settings/audit",
      "/admin/settings/acme",
    ];
    // Buttons a reader may use: navigation, filters, search, export, sign out.
    const allowed = /^(Sign out|Apply filters|Search|Clear|Menu|Export CSV|Copy.*|Newest|Older|Oldest|Newer|Next page|First page)$/;
    for (const path of pages) {
      const res = await page.goto(path);
      expect(res?.status(), path).toBe(200);
      await expect(page.locator("main h1").first(), path).toBeVisible();
      const buttons = await page.locator("main").getByRole("button").allInnerTexts();
      expect(
        buttons.map((b) => b.trim()).filter((b) => !allowed.test(b)),
        path,
      ).toEqual([]);
      expect(await page.locator("main input[type=file]").count(), path).toBe(0);
      await expect(page.locator("main").getByRole("link", { name: /^(Generate Token|New SCEP profile)$/ }), path).toHaveCount(0);
    }
    // A page that only creates things says so instead of showing the form.
    await page.goto("/admin/enrollment/scep/new");
    await expect(page.locator("main").getByRole("alert")).toContainText("Read-only");
    await expect(page.locator("main form")).toHaveCount(0);
  });

  test("gets 403 from the API for changes made with the session cookie, 200 for reads", async ({ page }) => {
    const origin = new URL(page.url()).origin;
    const read = await page.request.get("/api/v1/devices");
    expect(read.status()).toBe(200);
    expect(typeof (await read.json()).total).toBe("number");
    const logCsv = await page.request.get("/api/v1/log", { headers: { accept: "text/csv" } });
    expect(logCsv.status()).toBe(200);
    expect(await logCsv.text()).toMatch(/^time,step,outcome,reason/);
    for (const [url, data] of [
      ["/api/v1/groups", { name: "Readers cannot" }],
      ["/api/v1/tokens", { name: "Readers cannot", expiresIn: "24h" }],
      ["/api/v1/adde/routes", { domain: "example.com", version: "mdm-byod" }],
    ] as const) {
      const res = await page.request.post(url, { data, headers: { origin } });
      expect(res.status(), url).toBe(403);
      expect(await res.json(), url).toMatchObject({ error: "forbidden" });
    }
    // Nothing was created.
    const groups = (await (await page.request.get("/api/v1/groups")).json()).groups as { name: string }[];
    expect(groups.map((g) => g.name)).not.toContain("Readers cannot");
  });
});

test("an Owner changes a reader's role and disables them; each ends the reader's open session at once", async ({ page, browser }) => {
  let readerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  let reader = await readerContext.newPage();
  await signInWithIdp(reader, "reader-roles@example.com");
  await expect(roleLabel(reader)).toHaveText("Read-only");
  // A Read-only admin sees the list, without a control.
  await reader.goto("/admin/settings/admins");
  await expect(reader.getByRole("heading", { name: "Admins" })).toBeVisible();
  await expect(reader.getByTestId("admin-reader-roles@example.com")).toContainText("Read-only");
  await expect(reader.locator("main select, main input, main button")).toHaveCount(0);

  await page.setViewportSize({ width: 1280, height: 900 });
  await signInAsOwner(page);
  await page.getByRole("navigation", { name: "Main" }).first().getByRole("link", { name: "Admins" }).click();
  const row = page.getByTestId("admin-reader-roles@example.com");
  await expect(row).toContainText("IdP only");
  await row.getByLabel("Role for reader-roles@example.com").selectOption("ADMIN");
  await row.getByRole("button", { name: "Change role" }).click();
  await expect(row).toContainText("reader-roles@example.com is now Admin.");

  // The role change ended the reader's session: the next request goes to sign-in.
  await reader.goto("/admin/groups");
  await expect(reader).toHaveURL(/\/signin/);
  // Signing in again (a fresh browser, so the IdP asks again) gives the new role.
  await readerContext.close();
  readerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  reader = await readerContext.newPage();
  await signInWithIdp(reader, "reader-roles@example.com");
  await reader.goto("/admin/groups");
  await expect(roleLabel(reader)).toHaveText("Admin");
  await expect(reader.getByRole("button", { name: "Create group" })).toBeVisible();

  // The Owner's own row has no Disable button.
  await expect(page.getByTestId("admin-owner@example.com").getByRole("button", { name: /Disable/ })).toHaveCount(0);
  await row.getByRole("button", { name: "Disable reader-roles@example.com" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Disable", exact: true }).click();
  await expect(row).toContainText("Disabled");
  await reader.goto("/admin");
  await expect(reader).toHaveURL(/\/signin/);

  await page.reload();
  await page.getByTestId("admin-reader-roles@example.com").getByRole("button", { name: "Enable reader-roles@example.com" }).click();
  await expect(page.getByTestId("admin-reader-roles@example.com")).toContainText("Active");
  await readerContext.close();
});
