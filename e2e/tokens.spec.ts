// The tokens table in Chromium: search and sort (plain GET links), edit (name, expiry moved
// later: the short link stays), delete behind a confirmation dialog, and at iPhone width
// every row keeps its status and its Copy, QR, Edit and Revoke controls on screen.
import { expect, test, type Page } from "@playwright/test";
import { IPHONE, signInAsOwner } from "./helpers";

test.describe.configure({ mode: "serial" });

async function apiToken(page: Page, data: Record<string, unknown>): Promise<{ id: string; shortUrl: string; expiresAt: string | null }> {
  const res = await page.request.post("/api/v1/tokens", { data, headers: { origin: new URL(page.url()).origin } });
  expect(res.status(), await res.text()).toBe(201);
  return res.json();
}

const rows = (page: Page) => page.locator("main tbody tr");

test("search and sort the tokens table", async ({ page }) => {
  await signInAsOwner(page);
  await apiToken(page, { name: "Tbl zebra kiosks", expiresIn: "30d" });
  await apiToken(page, { name: "tbl apple laptops", expiresIn: "24h" });
  await apiToken(page, { name: "Tbl Mango phones", expiresIn: "never", personEmail: "mango.person@example.com" });

  await page.goto("/admin/enrollment/tokens");
  await page.getByRole("searchbox", { name: "Search" }).fill("mango.person");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page).toHaveURL(/\?q=mango.person/);
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText("Tbl Mango phones");

  await page.goto("/admin/enrollment/tokens?q=tbl");
  await expect(rows(page)).toHaveCount(3);
  await page.getByRole("link", { name: /^Name/ }).click();
  await expect(page).toHaveURL(/sort=name&dir=asc/);
  await expect(page.getByRole("columnheader", { name: /^Name/ })).toHaveAttribute("aria-sort", "ascending");
  // Case does not decide the order; the search stays applied.
  await expect(rows(page).locator("td:first-child a")).toHaveText(["tbl apple laptops", "Tbl Mango phones", "Tbl zebra kiosks"]);
  await page.getByRole("link", { name: /^Name/ }).click();
  await expect(page.getByRole("columnheader", { name: /^Name/ })).toHaveAttribute("aria-sort", "descending");
  await expect(rows(page).first()).toContainText("Tbl zebra kiosks");
  await page.getByRole("link", { name: /^Expires/ }).click();
  await expect(page).toHaveURL(/sort=expires/);
  // Soonest first; the link that never expires last.
  await expect(rows(page).locator("td:first-child a")).toHaveText(["tbl apple laptops", "Tbl zebra kiosks", "Tbl Mango phones"]);
});

test("edit a token's name and expiry; the short link stays the same", async ({ page }) => {
  await signInAsOwner(page);
  const token = await apiToken(page, { name: "Tbl to edit", expiresIn: "7d" });
  await page.goto("/admin/enrollment/tokens?q=Tbl%20to%20edit");
  await page.getByRole("link", { name: "Edit Tbl to edit" }).click();
  await expect(page.getByRole("heading", { name: "Edit Tbl to edit" })).toBeVisible();

  // A date before the current expiry is refused beside the field; the typed name stays.
  await page.getByLabel("Name").fill("Tbl edited");
  await page.getByLabel("Expiry", { exact: true }).selectOption("custom");
  await page.getByLabel("New expiry (your local time)").fill(new Date(Date.now() + 86_400_000).toISOString().slice(0, 16));
  await page.getByRole("button", { name: "Save token" }).click();
  await expect(page.locator('[data-field-error="extendExpiry"]')).toContainText("later than the current one");
  await expect(page.getByLabel("Name")).toHaveValue("Tbl edited");

  await page.getByLabel("Expiry", { exact: true }).selectOption("30d");
  await page.getByRole("button", { name: "Save token" }).click();
  await expect(page.getByText("Token saved.")).toBeVisible();
  await page.getByRole("link", { name: "Back to the token" }).first().click();
  await expect(page.getByRole("heading", { name: /Tbl edited/ })).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Enrollment URL", exact: true })).toHaveValue(token.shortUrl);
  const expected = new Date(Date.parse(token.expiresAt!) + 30 * 86_400_000).toISOString().slice(0, 16).replace("T", " ");
  await expect(page.locator("dd", { hasText: expected })).toBeVisible();
});

test("delete a token after confirming; the list says so and the link stops working", async ({ page }) => {
  await signInAsOwner(page);
  const token = await apiToken(page, { name: "Tbl to delete", expiresIn: "7d" });
  await page.goto(`/admin/enrollment/tokens/${token.id}`);
  await page.getByRole("button", { name: "Delete token" }).click();
  const dialog = page.getByRole("dialog", { name: 'Delete the token "Tbl to delete"?' });
  await expect(dialog).toBeVisible();
  // Cancel keeps it.
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await page.reload();
  await expect(page.getByRole("heading", { name: /Tbl to delete/ })).toBeVisible();

  await page.getByRole("button", { name: "Delete token" }).click();
  await dialog.getByRole("button", { name: "Delete token" }).click();
  await expect(page).toHaveURL(/\/admin\/enrollment\/tokens\?deleted=/);
  await expect(page.getByRole("status")).toContainText("Token “Tbl to delete” deleted. No device was linked to it.");
  await expect(page.locator("main tbody tr", { hasText: "Tbl to delete" })).toHaveCount(0);

  const phone = await (
    await page
      .context()
      .browser()!
      .newContext({ ...IPHONE })
  ).newPage();
  await phone.goto(token.shortUrl);
  await expect(phone.getByRole("button", { name: "Download Profile" })).toHaveCount(0);
  await phone.context().close();
});

test("at iPhone width each token row keeps Status, Copy, QR, Edit and Revoke on screen", async ({ browser }) => {
  const context = await browser.newContext({ ...IPHONE });
  const page = await context.newPage();
  await signInAsOwner(page);
  await apiToken(page, { name: "Tbl phone row with a rather long name for a small screen", expiresIn: "7d", maxUses: 10, personEmail: "someone.with.a.long.address@example.com" });
  await page.goto("/admin/enrollment/tokens");
  await expect(page.getByRole("heading", { name: "Tokens" })).toBeVisible();
  const all = await rows(page).all();
  expect(all.length).toBeGreaterThan(0);
  for (const row of all) {
    const name = (await row.locator("td").first().innerText()).split("\n")[0];
    const controls = [
      row.locator("td[data-label=Status] span"),
      row.getByRole("button", { name: /^Copy URL|Copied$/ }),
      row.getByRole("link", { name: /^QR code for / }),
      row.getByRole("link", { name: /^Edit / }),
    ];
    if ((await row.getByRole("button", { name: "Revoke" }).count()) > 0) controls.push(row.getByRole("button", { name: "Revoke" }));
    else await expect(row.locator("td[data-label=Status]"), name).toContainText("Revoked");
    for (const c of controls) {
      await c.scrollIntoViewIfNeeded();
      await expect(c, name).toBeInViewport();
      const box = (await c.boundingBox())!;
      expect(box.x, `${name}: starts on screen`).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, `${name}: ends on screen`).toBeLessThanOrEqual(IPHONE.viewport.width);
    }
  }
  // Nothing scrolls sideways: neither the page nor the table's frame.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(IPHONE.viewport.width);
  const frame = page.locator("main .table-stack");
  expect(await frame.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(1);
  await context.close();
});
