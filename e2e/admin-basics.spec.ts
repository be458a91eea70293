// Admin basics in the browser: refused forms keep their input and name the field at fault,
// routing rules are edited and reordered, the audit log shows who did it and exports CSV,
// devices and log search/sort work without JavaScript, and at iPhone width every table row
// keeps its actions on screen.
import { expect, test, type Page } from "@playwright/test";
import { IPHONE, signInAsOwner, E2E_ADMIN } from "./helpers";

test.describe.configure({ mode: "serial" });

const DOMAIN = "basics.example";

async function openAddRule(page: Page) {
  await page.goto("/admin/enrollment/account-driven");
  await page.getByText("Add a rule").click();
}

test("a refused routing rule keeps its input; rules are edited and reordered", async ({ page }) => {
  await signInAsOwner(page);
  await openAddRule(page);
  await page.locator("#r-domain").fill("not a domain!");
  await page.locator("#r-user").fill("ann@basics.example");
  await page.locator("#r-family").selectOption("iPhone");
  await page.getByRole("button", { name: "Add rule" }).click();
  const domain = page.locator("#r-domain");
  await expect(domain).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator('[data-field-error="domain"]')).toContainText("domain must be");
  // What was typed is still there.
  await expect(domain).toHaveValue("not a domain!");
  await expect(page.locator("#r-user")).toHaveValue("ann@basics.example");
  await expect(page.locator("#r-family")).toHaveValue("iPhone");

  await domain.fill(DOMAIN);
  await page.getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByText("Rule added.")).toBeVisible();
  await expect(domain).not.toHaveAttribute("aria-invalid", "true");

  // The same match again is refused beside the domain.
  await domain.fill(DOMAIN);
  await page.locator("#r-user").fill("ann@basics.example");
  await page.locator("#r-family").selectOption("iPhone");
  await page.getByRole("button", { name: "Add rule" }).click();
  await expect(page.locator('[data-field-error="domain"]')).toContainText("already matches");
  await expect(page.locator("#r-user")).toHaveValue("ann@basics.example");

  // A second rule (any device) to reorder against.
  await page.locator("#r-user").fill("");
  await page.locator("#r-family").selectOption("");
  await page.getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByText("Rule added.")).toBeVisible();

  // Edit the first basics rule.
  await page.reload();
  const rows = () => page.locator("tbody tr").filter({ hasText: DOMAIN });
  await expect(rows()).toHaveCount(2);
  await rows()
    .first()
    .getByRole("link", { name: /^Edit rule/ })
    .click();
  await expect(page.getByRole("heading", { name: new RegExp(`${DOMAIN}`) })).toBeVisible();
  await expect(page.locator("#r-user")).toHaveValue("ann@basics.example");
  await page.locator("#r-user").fill("ann@basics.example, bob@basics.example");
  await page.getByRole("button", { name: "Save rule" }).click();
  await expect(page.getByText("Rule saved.")).toBeVisible();
  await page.getByRole("link", { name: "Back to the routing rules" }).click();
  await expect(rows().first()).toContainText("bob@basics.example");

  // Move the second basics rule up: the order flips.
  await expect(rows().first()).toContainText("bob@basics.example");
  await rows().nth(1).getByRole("button", { name: /up$/ }).click();
  await expect(rows().nth(1)).toContainText("bob@basics.example");
  await expect(rows().first()).not.toContainText("bob@basics.example");
});

test("the SCEP form keeps its input and corrects CN=$SERIAL", async ({ page }) => {
  await signInAsOwner(page);
  await page.goto("/admin/enrollment/scep/new");
  await page.getByLabel("Name").fill("Basics serial profile");
  await page.getByLabel("Subject template").fill("CN=$SERIAL");
  await page.getByRole("button", { name: "Create SCEP profile" }).click();
  await expect(page.locator('[data-field-error="subjectTemplate"]')).toContainText("$SERIALNUMBER");
  await expect(page.getByLabel("Subject template")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Name")).toHaveValue("Basics serial profile");
  // The hint's own examples are accepted.
  await expect(page.getByText("For example CN=$UDID or CN=$SERIALNUMBER,O=Example")).toBeVisible();
  await page.getByLabel("Subject template").fill("CN=$SERIALNUMBER,O=Example");
  await page.getByRole("button", { name: "Create SCEP profile" }).click();
  await expect(page.getByText('SCEP profile "Basics serial profile" created.')).toBeVisible();
});

test("the audit log shows who changed what from where, filters and exports CSV", async ({ page }) => {
  await signInAsOwner(page);
  await page.goto("/admin/settings/audit");
  await page.getByLabel("Action starts with").fill("adde.route");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/action=adde.route/);
  const table = page.getByRole("table");
  await expect(table).toContainText("adde.route.create");
  await expect(table).toContainText("adde.route.update");
  await expect(table).toContainText(`session:${E2E_ADMIN.email}`);
  // From where: the browser's address (loopback here).
  await expect(
    table
      .locator("td")
      .filter({ hasText: /^(::1|::ffff:127\.0\.0\.1|127\.0\.0\.1)$/ })
      .first(),
  ).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
  const csv = await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString("utf8"));
  expect(csv.split("\r\n")[0]).toBe("time,actor,action,target,detail,remote_addr");
  expect(csv).toContain("adde.route.update");
  expect(csv).not.toContain("token.create"); // the filter applies to the export
});

test("devices and log search and sort work without JavaScript", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  // Sign-in needs JavaScript (next-auth's form); take the session from a JS context instead.
  const js = await browser.newContext();
  const jsPage = await js.newPage();
  await signInAsOwner(jsPage);
  await context.addCookies(await js.cookies());
  await js.close();

  await page.goto("/admin/devices");
  await page.getByLabel("Search").fill("no-such-device-serial");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/\/admin\/devices\?q=no-such-device-serial/);
  await expect(page.getByText("No devices match these filters")).toBeVisible();
  await page.goto("/admin/devices?sort=name&dir=asc");
  await expect(page.locator("main")).toBeVisible();

  await page.goto("/admin/log");
  await page.getByLabel("Order").selectOption("asc");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/order=asc/);
  await expect(page.getByLabel("Order")).toHaveValue("asc");
  await context.close();
});

test("at iPhone width every table row keeps its actions on screen", async ({ browser }) => {
  const context = await browser.newContext({ ...IPHONE });
  const page = await context.newPage();
  await signInAsOwner(page);
  const pages = ["/admin/enrollment/account-driven", "/admin/settings/admins", "/admin/settings/audit", "/admin/groups", "/admin/enrollment/scep", "/admin/devices", "/admin/log"];
  for (const path of pages) {
    await page.goto(path);
    await expect(page.locator("main h1").first(), path).toBeVisible();
    const controls = page.locator("main table tbody tr").locator("a:visible, button:visible, select:visible");
    const n = await controls.count();
    for (let i = 0; i < n; i++) {
      const box = await controls.nth(i).boundingBox();
      const name = (await controls.nth(i).innerText()).trim();
      expect(box, `${path}: ${name}`).not.toBeNull();
      expect(box!.x, `${path}: "${name}" starts on screen`).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, `${path}: "${name}" ends on screen`).toBeLessThanOrEqual(390);
    }
    // No table scrolls sideways: its frame is no wider than the screen.
    for (const frame of await page.locator("main .table-stack").all()) {
      if (!(await frame.isVisible())) continue;
      const overflow = await frame.evaluate((el) => el.scrollWidth - el.clientWidth);
      expect(overflow, `${path}: table frame scrolls sideways`).toBeLessThanOrEqual(1);
    }
  }
  // The routing rules (created above) have Edit, move and Delete in reach on the phone.
  await page.goto("/admin/enrollment/account-driven");
  const rule = page.locator("tbody tr").filter({ hasText: DOMAIN }).first();
  await rule.scrollIntoViewIfNeeded();
  await expect(rule.getByRole("link", { name: /^Edit rule/ })).toBeInViewport();
  await expect(rule.getByRole("button", { name: /^Delete rule/ })).toBeInViewport();
  await context.close();
});
