// Enrollment governance in Chromium against the real server: a per-person link with terms.
// The phone (JavaScript off) sees the person and the terms, must tick "I accept" before the download goes
// out, and the device (scripted, test/sim/device.ts) that installs the downloaded profile
// shows on its page who accepted which version of the terms, and when.
import crypto from "node:crypto";
import fs from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { SimDevice } from "../test/sim/device";
import { IPHONE, signInAsOwner } from "./helpers";

const TERMS = "# Acceptable use\n\nThis iPhone is **managed** by your organisation.\n\n- It can be locked\n- Work data can be erased";

async function apiToken(page: Page, data: Record<string, unknown>): Promise<{ id: string; url: string }> {
  const res = await page.request.post("/api/v1/tokens", { data, headers: { origin: new URL(page.url()).origin } });
  expect(res.status(), await res.text()).toBe(201);
  return res.json();
}

test("terms are accepted on the enroll page and shown on the enrolled device's page", async ({ page, browser }) => {
  test.setTimeout(180_000);
  await signInAsOwner(page);
  const token = await apiToken(page, { name: "Pat's iPhone", expiresIn: "7d", maxUses: 1, personEmail: "pat@example.com", terms: TERMS });

  // JavaScript off: the page has none, and the required box must work without it.
  const phone = await (await browser.newContext({ ...IPHONE, acceptDownloads: true, javaScriptEnabled: false })).newPage();
  await phone.goto(token.url);
  await expect(phone.locator("#person-notice")).toContainText("This link is for pat@example.com.");
  const terms = phone.getByRole("region", { name: "Terms" });
  await expect(terms.getByRole("heading", { name: "Acceptable use" })).toBeVisible();
  await expect(terms.locator("strong", { hasText: "managed" })).toBeVisible();
  await expect(terms.getByRole("listitem")).toHaveCount(2);

  // Not ticked: the browser keeps the form (required), nothing is downloaded.
  const accept = phone.getByRole("checkbox", { name: "I have read and accept these terms" });
  await expect(accept).toHaveAttribute("required", "");
  await phone.getByRole("button", { name: "Download Profile" }).click();
  await expect(phone.locator('input[name="acceptTerms"]:invalid')).toHaveCount(1);
  await expect(phone).toHaveURL(/\/enroll\?token=/);
  await accept.check();
  const [download] = await Promise.all([phone.waitForEvent("download"), phone.getByRole("button", { name: "Download Profile" }).click()]);
  const profile = new Uint8Array(fs.readFileSync((await download.path())!));

  const device = new SimDevice({ deviceName: "Pat's iPhone" });
  await device.installDownloadedProfile(profile);
  await device.enrollMdm();

  const version = crypto.createHash("sha256").update(TERMS).digest("hex");
  const detail = await (await page.request.get(`/api/v1/devices/${device.udid}`)).json();
  expect(detail).toMatchObject({ personEmail: "pat@example.com", terms: { version, acceptedBy: "pat@example.com" } });
  await page.goto(`/admin/devices/${detail.id}`);
  await expect(page.getByTestId("terms-accepted")).toContainText("pat@example.com");
  await expect(page.getByTestId("terms-accepted")).toContainText(version.slice(0, 12));
  await expect(page.getByText("Enrolled for")).toBeVisible();

  // The link's one use is spent by the device.
  await page.goto(`/admin/enrollment/tokens/${token.id}`);
  await expect(page.getByText("1 / 1 devices enrolled")).toBeVisible();
});

test("the account-driven sign-in page shows the routing rule's terms with an I-accept box in each sign-in form", async ({ page, browser }) => {
  await signInAsOwner(page);
  const rule = await page.request.post("/api/v1/adde/routes", {
    data: { domain: "terms.example", version: "mdm-byod", deviceLimit: 2, terms: "## Your device\n\nOnly **work data** is managed." },
    headers: { origin: new URL(page.url()).origin },
  });
  expect(rule.status(), await rule.text()).toBe(201);

  const phone = await (await browser.newContext(IPHONE)).newPage();
  await phone.goto("/authenticate/byod?user-identifier=ann%40terms.example");
  await expect(phone.getByRole("heading", { name: "Sign in to enroll" })).toBeVisible();
  const terms = phone.getByRole("region", { name: "Terms" });
  await expect(terms.getByRole("heading", { name: "Your device" })).toBeVisible();
  await expect(terms.locator("strong", { hasText: "work data" })).toBeVisible();
  const boxes = phone.getByRole("checkbox", { name: "I have read and accept the terms" });
  expect(await boxes.count()).toBeGreaterThanOrEqual(1);
  for (const box of await boxes.all()) expect(await box.getAttribute("required")).not.toBeNull();
});
