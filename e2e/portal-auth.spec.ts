// Admin sign-in through the organisation's IdP (a real oidc-provider), roles from the
// allow-list, and a Read-only admin who can look at everything and change nothing.
import { expect, test } from "@playwright/test";
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
  await page.locator('input[name="login"]').fill("mallory@elsewhere.org");
  await page.locator('input[name="password"]').fill("correct horse");
  await page.getByRole("button", { name: "Sign-in" }).click();
  const consent = page.getByRole("button", { name: "Continue" });
  if (await consent.isVisible({ timeout: 5_000 }).catch(() => false)) await consent.click();
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
    ];
    // Buttons a reader may use: navigation, filters, search, export, sign out.
    const allowed = /^(Sign out|Apply filters|Search|Clear|Menu|Export CSV|Copy.*|Newest|Older|Next page|First page)$/;
    for (const path of pages) {
      const res = await page.goto(path);
      expect(res?.status(), path).toBe(200);
      await expect(page.locator("main h1").first(), path).toBeVisible();
      const buttons = await page.locator("main").getByRole("button").allInnerTexts();
      expect(buttons.map((b) => b.trim()).filter((b) => !allowed.test(b)), path).toEqual([]);
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
