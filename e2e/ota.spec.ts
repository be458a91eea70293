// OTA enrollment in Chromium against the real server: an admin generates a token in the
// portal, sees and downloads its QR code (which decodes to the enrollment URL); a phone
// opens the link, sees iOS steps and downloads a signed profile; expired and revoked
// links show seed 000's messages.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { parse as parsePlist } from "plist";
import { REASONS } from "../lib/log/reasons";
import { IPHONE, signInAsOwner } from "./helpers";
import { signInWithIdp } from "./portalHelpers";

function decodeQr(png: Buffer): string | null {
  const img = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(img.data), img.width, img.height)?.data ?? null;
}

async function adminPage(browser: Browser): Promise<Page> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signInAsOwner(page);
  return page;
}

/** Creates a token through the admin API with the admin's session (same-origin POST). */
async function apiToken(page: Page, body: Record<string, unknown>): Promise<{ id: string; url: string; jwt: string }> {
  const origin = new URL(page.url()).origin;
  const res = await page.request.post("/api/v1/tokens", { data: body, headers: { origin } });
  expect(res.status(), await res.text()).toBe(201);
  return res.json();
}

async function phonePage(browser: Browser): Promise<Page> {
  const ctx = await browser.newContext({ ...IPHONE, acceptDownloads: true });
  return ctx.newPage();
}

test.describe.configure({ mode: "serial" });

let createdUrl = "";

test("an admin generates a token, sees its QR code, downloads PNG and SVG that decode to the enrollment URL", async ({ page }) => {
  await signInAsOwner(page);
  await page.goto("/admin/enrollment/tokens");
  await expect(page.getByRole("heading", { name: "Tokens" })).toBeVisible();
  await page.getByRole("link", { name: "Generate Token" }).click();
  await expect(page.getByRole("heading", { name: "Generate Token" })).toBeVisible();
  await page.getByLabel("Name").fill("E2E iPhones");
  await page.getByLabel("30 days").check();
  await page.getByLabel("Max Uses").fill("5");
  await page.getByRole("button", { name: "Generate Token" }).click();

  await expect(page.getByRole("status")).toContainText("Token generated");
  createdUrl = await page.getByRole("textbox", { name: "Enrollment URL" }).inputValue();
  expect(createdUrl).toMatch(/^http:\/\/localhost:\d+\/enroll\?token=[\w-]+\.[\w-]+\.[\w-]+$/);

  const qr = page.getByRole("img", { name: /QR code for the enrollment URL of E2E iPhones/ });
  await expect(qr).toBeVisible();
  await expect.poll(() => qr.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))).toBeGreaterThan(100);

  const [png] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download PNG" }).click()]);
  expect(png.suggestedFilename()).toBe("enroll-e2e-iphones.png");
  expect(decodeQr(fs.readFileSync((await png.path())!))).toBe(createdUrl);

  const [svg] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download SVG" }).click()]);
  expect(svg.suggestedFilename()).toBe("enroll-e2e-iphones.svg");
  const svgText = fs.readFileSync((await svg.path())!, "utf8");
  expect(svgText).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  // Render the SVG in the browser and read it back as a camera would.
  const shot = await page.context().newPage();
  await shot.setViewportSize({ width: 600, height: 600 });
  await shot.setContent(`<body style="margin:0;background:#fff"><img id="q" style="width:500px;height:500px" src="data:image/svg+xml;base64,${Buffer.from(svgText).toString("base64")}"></body>`);
  expect(decodeQr(await shot.locator("#q").screenshot())).toBe(createdUrl);
  await shot.close();

  await page.goto("/admin/enrollment/tokens");
  const row = page.locator("tr", { hasText: "E2E iPhones" });
  await expect(row).toContainText("0 / 5");
  await expect(row).toContainText("Active");
});

test("at an iPhone viewport the link shows iOS steps and downloads a signed profile", async ({ browser }) => {
  test.skip(!createdUrl, "needs the token from the previous test");
  const phone = await phonePage(browser);
  await phone.goto(createdUrl);
  await expect(phone.getByRole("heading", { name: "Enroll your device" })).toBeVisible();
  await expect(phone.getByRole("tab", { name: "iPhone / iPad" })).toHaveAttribute("aria-selected", "true");
  await expect(phone.getByRole("heading", { name: "iPhone & iPad (iOS / iPadOS)" })).toBeVisible();
  await expect(phone.getByText("Settings > General > VPN & Device Management")).toBeVisible();
  // The token never appears in what the user sees, and the page fits the phone.
  const jwt = new URL(createdUrl).searchParams.get("token")!;
  expect(await phone.locator("body").innerText()).not.toContain(jwt);
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(IPHONE.viewport.width);

  // The user can switch to the Mac steps and back.
  await phone.getByRole("tab", { name: "Mac" }).click();
  await expect(phone.getByRole("heading", { name: "Mac (macOS)" })).toBeVisible();
  await phone.getByRole("tab", { name: "iPhone / iPad" }).click();

  const button = phone.getByRole("button", { name: "Download Profile" });
  const box = (await button.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(IPHONE.viewport.width);
  const [download] = await Promise.all([phone.waitForEvent("download"), button.click()]);
  expect(download.suggestedFilename()).toMatch(/\.mobileconfig$/);
  const file = (await download.path())!;

  // Signed: OpenSSL verifies the CMS signature up to the root CA the profile installs.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ota-e2e-"));
  const content = execFileSync("openssl", ["cms", "-verify", "-noverify", "-inform", "DER", "-in", file], { stdio: ["ignore", "pipe", "ignore"] });
  const top = parsePlist(content.toString("utf8")) as { PayloadContent: Array<Record<string, unknown>> };
  expect(top.PayloadContent.map((p) => p.PayloadType)).toEqual(["com.apple.security.root", "com.apple.security.scep", "com.apple.mdm"]);
  const rootDer = Buffer.from(top.PayloadContent[0].PayloadContent as Uint8Array);
  const caPem = `-----BEGIN CERTIFICATE-----\n${rootDer.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE-----\n`;
  fs.writeFileSync(path.join(dir, "ca.pem"), caPem);
  execFileSync("openssl", ["cms", "-verify", "-inform", "DER", "-in", file, "-CAfile", path.join(dir, "ca.pem"), "-out", path.join(dir, "out.xml")], { stdio: "ignore" });
  fs.rmSync(dir, { recursive: true, force: true });

  // One use held for the download; it is spent when a device enrolls with the profile.
  const admin = await adminPage(browser);
  await admin.goto("/admin/enrollment/tokens");
  await expect(admin.locator("tr", { hasText: "E2E iPhones" })).toContainText("0 / 5 (1 held)");
});

test("expired and revoked links show seed 000's messages at an iPhone viewport", async ({ browser }) => {
  const admin = await adminPage(browser);
  const expiring = await apiToken(admin, { name: "E2E short-lived", expiresIn: { at: new Date(Date.now() + 3000).toISOString() } });

  // Revoke through the portal, confirming the dialog.
  const doomed = await apiToken(admin, { name: "E2E doomed", expiresIn: "7d" });
  await admin.goto("/admin/enrollment/tokens");
  admin.once("dialog", (d) => void d.accept());
  await admin.locator("tr", { hasText: "E2E doomed" }).getByRole("button", { name: "Revoke" }).click();
  await expect(admin.locator("tr", { hasText: "E2E doomed" })).toContainText("Revoked");

  const phone = await phonePage(browser);
  await phone.goto(doomed.url);
  await expect(phone.getByRole("heading", { name: REASONS.token_revoked.title })).toBeVisible();
  await expect(phone.getByText(REASONS.token_revoked.userMessage)).toBeVisible();
  await expect(phone.getByRole("button", { name: "Download Profile" })).toHaveCount(0);

  // Wait out the 3-second token (a wait, not a timing assertion).
  await phone.waitForTimeout(4000);
  await phone.goto(expiring.url);
  await expect(phone.getByRole("heading", { name: REASONS.token_expired.title })).toBeVisible();
  await expect(phone.getByText(REASONS.token_expired.userMessage)).toBeVisible();
  await expect(phone.getByText(/Generate a new token/)).toBeVisible();
  await expect(phone.getByRole("button", { name: "Download Profile" })).toHaveCount(0);

  // A damaged link explains itself too.
  await phone.goto(expiring.url.slice(0, -15));
  await expect(phone.getByRole("heading", { name: REASONS.token_malformed.title })).toBeVisible();
});

test("a read-only admin sees tokens but no generate or revoke controls, and the API refuses changes", async ({ page }) => {
  await signInWithIdp(page, "reader-ota@example.com");
  await page.goto("/admin/enrollment/tokens");
  await expect(page.getByRole("heading", { name: "Tokens" })).toBeVisible();
  await expect(page.locator("tr", { hasText: "E2E iPhones" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Generate Token" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Revoke" })).toHaveCount(0);
  await page.goto("/admin/enrollment/tokens/new");
  await expect(page.getByRole("alert").filter({ hasText: "read-only" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Generate Token" })).toHaveCount(0);
  const origin = new URL(page.url()).origin;
  const res = await page.request.post("/api/v1/tokens", { data: { name: "nope", expiresIn: "7d" }, headers: { origin } });
  expect(res.status()).toBe(403);
});
