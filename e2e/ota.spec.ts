// OTA enrollment in Chromium against the real server: an admin generates a token in the
// portal, sees and downloads its QR code (which decodes to the short link at <= 33×33
// modules); a phone with JavaScript off opens the link, sees iOS steps and downloads a
// signed profile in one tap; the page ships no JavaScript and comes Brotli-compressed;
// branding and the device's language reach the pages and the profile; expired and revoked
// links say so in plain words.
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

function readQr(png: Buffer): { data: string; version: number } | null {
  const img = PNG.sync.read(png);
  const r = jsQR(new Uint8ClampedArray(img.data), img.width, img.height);
  return r ? { data: r.data, version: r.version } : null;
}

/** Modules per side of a QR code of this version (ISO/IEC 18004: 17 + 4·version). */
const modules = (version: number) => 17 + 4 * version;

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
let fullUrl = "";

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
  // The short link is what the portal copies and encodes; the full JWT link stays available.
  createdUrl = await page.getByRole("textbox", { name: "Enrollment URL", exact: true }).inputValue();
  expect(createdUrl).toMatch(/^http:\/\/localhost:\d+\/e\/[0-9a-z]{14}$/);
  await page.getByText("Full link (JWT)").click();
  fullUrl = await page.getByRole("textbox", { name: "Full enrollment URL" }).inputValue();
  expect(fullUrl).toMatch(/^http:\/\/localhost:\d+\/enroll\?token=[\w-]+\.[\w-]+\.[\w-]+$/);

  const qr = page.getByRole("img", { name: /QR code for the enrollment URL of E2E iPhones/ });
  await expect(qr).toBeVisible();
  await expect.poll(() => qr.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))).toBeGreaterThan(100);

  const [png] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download PNG" }).click()]);
  expect(png.suggestedFilename()).toBe("enroll-e2e-iphones.png");
  const fromPng = readQr(fs.readFileSync((await png.path())!));
  expect(fromPng?.data).toBe(createdUrl);
  expect(modules(fromPng!.version)).toBeLessThanOrEqual(33);

  const [svg] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download SVG" }).click()]);
  expect(svg.suggestedFilename()).toBe("enroll-e2e-iphones.svg");
  const svgText = fs.readFileSync((await svg.path())!, "utf8");
  expect(svgText).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  // Render the SVG in the browser and read it back as a camera would.
  const shot = await page.context().newPage();
  await shot.setViewportSize({ width: 600, height: 600 });
  await shot.setContent(`<body style="margin:0;background:#fff"><img id="q" style="width:500px;height:500px" src="data:image/svg+xml;base64,${Buffer.from(svgText).toString("base64")}"></body>`);
  const fromSvg = readQr(await shot.locator("#q").screenshot());
  expect(fromSvg?.data).toBe(createdUrl);
  expect(modules(fromSvg!.version)).toBeLessThanOrEqual(33);
  await shot.close();

  await page.goto("/admin/enrollment/tokens");
  const row = page.locator("tr", { hasText: "E2E iPhones" });
  await expect(row).toContainText("0 / 5");
  await expect(row).toContainText("Active");
});

test("at an iPhone viewport with JavaScript off, the short link shows iOS steps and downloads a signed profile in one tap", async ({ browser }) => {
  test.skip(!createdUrl, "needs the token from the previous test");
  const ctx = await browser.newContext({ ...IPHONE, acceptDownloads: true, javaScriptEnabled: false });
  const phone = await ctx.newPage();
  await phone.goto(createdUrl);
  await expect(phone.getByRole("heading", { name: "Enroll your device" })).toBeVisible();
  await expect(phone.getByRole("link", { name: "iPhone / iPad" })).toHaveAttribute("aria-current", "page");
  await expect(phone.getByRole("heading", { name: "iPhone & iPad (iOS / iPadOS)" })).toBeVisible();
  await expect(phone.getByText("Settings › General › VPN & Device Management")).toBeVisible();
  // The token never appears in what the user sees, and the page fits the phone.
  const jwt = new URL(fullUrl).searchParams.get("token")!;
  expect(await phone.locator("body").innerText()).not.toContain(jwt);
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(IPHONE.viewport.width);

  // The switch is plain links: it works without JavaScript.
  await phone.getByRole("link", { name: "Mac" }).click();
  await expect(phone.getByRole("heading", { name: "Mac (macOS 14, 15 and 26)" })).toBeVisible();
  await expect(phone.getByText("System Settings › General › Device Management")).toBeVisible();
  await phone.getByRole("link", { name: "iPhone / iPad" }).click();
  await expect(phone.getByRole("heading", { name: "iPhone & iPad (iOS / iPadOS)" })).toBeVisible();

  const button = phone.getByRole("button", { name: "Download Profile" });
  const box = (await button.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(IPHONE.viewport.width);
  // One tap.
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
  await ctx.close();
});

test("the enroll page ships no JavaScript (transferred bytes < 20 KB gzipped) and comes Brotli-compressed", async ({ browser }) => {
  test.skip(!createdUrl, "needs the token from the first test");
  // JavaScript on here: whatever script the page pulls in would load and count.
  const ctx = await browser.newContext({ ...IPHONE });
  const phone = await ctx.newPage();
  const scripts: Array<{ url: string; bytes: number }> = [];
  let documentEncoding: string | undefined;
  phone.on("requestfinished", async (req) => {
    const res = await req.response();
    if (!res) return;
    if (req.resourceType() === "document") documentEncoding = (await res.allHeaders())["content-encoding"];
    if (req.resourceType() === "script") scripts.push({ url: req.url(), bytes: (await req.sizes()).responseBodySize });
  });
  await phone.goto(createdUrl, { waitUntil: "networkidle" });
  await expect(phone.getByRole("button", { name: "Download Profile" })).toBeVisible();
  const total = scripts.reduce((n, s) => n + s.bytes, 0);
  expect(total, JSON.stringify(scripts)).toBeLessThan(20 * 1024);
  expect(await phone.locator("script").count()).toBe(0);
  expect(documentEncoding).toBe("br");
  await ctx.close();
});

test("a German phone gets the German enroll page", async ({ browser }) => {
  test.skip(!createdUrl, "needs the token from the first test");
  const ctx = await browser.newContext({ ...IPHONE, locale: "de-DE" });
  const phone = await ctx.newPage();
  await phone.goto(createdUrl);
  await expect(phone.getByRole("heading", { name: "Gerät registrieren" })).toBeVisible();
  await expect(phone.getByRole("button", { name: "Profil laden" })).toBeVisible();
  await expect(phone.locator("html")).toHaveAttribute("lang", "de");
  // The account-driven sign-in page follows the device's language too.
  await phone.goto("/authenticate/byod?user-identifier=pat%40example.com");
  await expect(phone.getByRole("heading", { name: "Anmelden zum Registrieren" })).toBeVisible();
  await expect(phone.getByRole("button", { name: /^Weiter mit / })).toBeVisible();
  await ctx.close();
});

test("saved branding reaches the enroll page, an error page, the sign-in pages and the downloaded profile", async ({ browser }) => {
  test.skip(!createdUrl, "needs the token from the first test");
  const admin = await adminPage(browser);
  const saveBranding = async (name: string, support: string, logo?: Buffer | "remove") => {
    await admin.goto("/admin/settings");
    await admin.getByLabel("Organisation name").fill(name);
    await admin.getByLabel("Support contact").fill(support);
    if (logo === "remove") await admin.getByLabel("Remove the logo").check();
    else if (logo) await admin.getByLabel(/^Logo/).setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: logo });
    await admin.getByRole("button", { name: "Save branding" }).click();
    await expect(admin.getByText("Saved.")).toBeVisible();
  };
  const logo = PNG.sync.write(Object.assign(new PNG({ width: 8, height: 8 }), { data: Buffer.alloc(8 * 8 * 4, 0x80) }));
  await saveBranding("Acme Corp", "help@acme.example", logo);
  try {
    const ctx = await browser.newContext({ ...IPHONE, acceptDownloads: true, javaScriptEnabled: false });
    const phone = await ctx.newPage();
    await phone.goto(createdUrl);
    await expect(phone.getByText("Acme Corp", { exact: true })).toBeVisible();
    await expect(phone.getByRole("link", { name: "help@acme.example" })).toHaveAttribute("href", "mailto:help@acme.example");
    await expect(phone.getByText("Open Enroll")).toHaveCount(0);
    // The uploaded logo, served from our own origin.
    const logoSrc = await phone.locator("header img").getAttribute("src");
    expect(logoSrc).toMatch(/^\/branding\/logo\?v=[0-9a-f]+$/);
    const served = await phone.request.get(logoSrc!);
    expect(served.headers()["content-type"]).toBe("image/png");
    expect(Buffer.from(await served.body()).equals(logo)).toBe(true);

    const [download] = await Promise.all([phone.waitForEvent("download"), phone.getByRole("button", { name: "Download Profile" }).click()]);
    expect(download.suggestedFilename()).toBe("acme-corp-enrollment.mobileconfig");
    const content = execFileSync("openssl", ["cms", "-verify", "-noverify", "-inform", "DER", "-in", (await download.path())!], { stdio: ["ignore", "pipe", "ignore"] });
    const top = parsePlist(content.toString("utf8")) as Record<string, unknown>;
    expect(top.PayloadDisplayName).toBe("Acme Corp Device Management");
    expect(top.PayloadOrganization).toBe("Acme Corp");
    expect(top.PayloadDescription).toContain("help@acme.example");

    // An error page: the support contact is the way out.
    await phone.goto(fullUrl.slice(0, -15));
    await expect(phone.getByRole("heading", { name: "This link is incomplete" })).toBeVisible();
    await expect(phone.getByText("Acme Corp", { exact: true })).toBeVisible();
    await expect(phone.getByRole("link", { name: "help@acme.example" })).toBeVisible();

    // The account-driven sign-in page and the portal's sign-in page.
    await phone.goto("/authenticate/byod?user-identifier=pat%40example.com");
    await expect(phone.getByText("Acme Corp", { exact: true })).toBeVisible();
    await expect(phone.getByRole("link", { name: "help@acme.example" })).toBeVisible();
    await phone.goto("/signin");
    await expect(phone.getByRole("heading", { name: "Acme Corp" })).toBeVisible();
    await ctx.close();
  } finally {
    await saveBranding("", "", "remove");
  }
});

test("expired, revoked and damaged links say so in plain words at an iPhone viewport", async ({ browser }) => {
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
  await expect(phone.getByRole("heading", { name: "This link has been turned off" })).toBeVisible();
  await expect(phone.getByText("Your IT team turned this enrollment link off.")).toBeVisible();
  await expect(phone.getByRole("button", { name: "Download Profile" })).toHaveCount(0);

  // Wait out the 3-second token (a wait, not a timing assertion).
  await phone.waitForTimeout(4000);
  await phone.goto(expiring.url);
  await expect(phone.getByRole("heading", { name: "This link has expired" })).toBeVisible();
  await expect(phone.getByText("Ask for a new enrollment link.")).toBeVisible();
  // For whoever helps: the admin-side fix.
  await expect(phone.getByText(REASONS.token_expired.fix, { exact: false })).toBeVisible();
  await expect(phone.getByRole("button", { name: "Download Profile" })).toHaveCount(0);

  // A damaged link explains itself too.
  await phone.goto(expiring.url.slice(0, -15));
  await expect(phone.getByRole("heading", { name: "This link is incomplete" })).toBeVisible();
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
