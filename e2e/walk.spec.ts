// The first-run walk: a fresh install (empty data directory, nothing configured) is taken
// through the dashboard's checklist to an enrolled device, and each stop is photographed at
// desktop and phone sizes in light and dark mode for docs/screenshots/walk-*.png. The push
// certificate is one made with OpenSSL in Apple's shape (UID com.apple.mgmt.External.…), and
// APNS_URL points at a local HTTP/2 stand-in that accepts every push; the device is the
// scripted one (test/sim/device.ts) enrolling from the link over HTTP.
import { execFileSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http2 from "node:http2";
import os from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { restrictionsProfile } from "../test/mdm/fixtures/profiles";
import { SimDevice } from "../test/sim/device";
import { startFreshServer, stopServer } from "./freshServer";
import { IPHONE } from "./helpers";

const port = Number(process.env.E2E_PORT ?? 3100) + 2;
const apnsPort = port + 1;
const base = `http://localhost:${port}`;
const SHOTS = path.join(import.meta.dirname, "..", "docs", "screenshots");
const MAC_SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15";
const SIZES = [
  ["desktop", 1280, 900],
  ["phone", 390, 844],
] as const;
const SCHEMES = ["light", "dark"] as const;

/** docs/screenshots/walk-<name>-<desktop|phone>-<light|dark>.png of the page as it is now. */
async function shots(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const [size, width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme });
      await page.waitForLoadState("networkidle");
      await page.screenshot({ path: path.join(SHOTS, `walk-${name}-${size}-${colorScheme}.png`), fullPage: true });
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: "light" });
}

/** The end user's enroll page as an iPhone (phone size) and a Mac (desktop size) see it. */
async function enrollPageShots(browser: Browser, url: string): Promise<void> {
  for (const [size, width, height] of SIZES) {
    for (const colorScheme of SCHEMES) {
      const context = await browser.newContext(size === "phone" ? { ...IPHONE, deviceScaleFactor: 1, colorScheme } : { viewport: { width, height }, userAgent: MAC_SAFARI, colorScheme });
      const page = await context.newPage();
      await page.goto(url);
      await expect(page.getByRole("button", { name: "Download Profile" })).toBeVisible();
      await page.screenshot({ path: path.join(SHOTS, `walk-enroll-${size}-${colorScheme}.png`), fullPage: true });
      await context.close();
    }
  }
}

/** An MDM push certificate and key in Apple's shape, as a .p12 (what identity.apple.com's certificate plus its key export to). */
function pushP12(dir: string): string {
  const topic = `com.apple.mgmt.External.${crypto.randomUUID()}`;
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "push.key", "-out", "push.pem", "-days", "365", "-subj", `/UID=${topic}/CN=APSP:${topic.slice(24)}/C=US`]);
  openssl(["pkcs12", "-export", "-in", "push.pem", "-inkey", "push.key", "-out", "push.p12", "-passout", "pass:walk-push"]);
  return path.join(dir, "push.p12");
}

/** APNs stand-in (HTTP/2 without TLS, as APNS_URL=http://… makes the client speak): every push is accepted. */
function startApns(): Promise<http2.Http2Server> {
  const server = http2.createServer();
  server.on("stream", (stream: http2.ServerHttp2Stream) => {
    stream.on("data", () => {});
    stream.on("end", () => {
      stream.respond({ ":status": 200, "apns-id": crypto.randomUUID() });
      stream.end();
    });
  });
  return new Promise((resolve) => server.listen(apnsPort, "127.0.0.1", () => resolve(server)));
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "enroll-walk-"));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "walk-files-"));
let server: ChildProcess | null = null;
let apns: http2.Http2Server | null = null;

// A hook, not a finally: it also runs when the test times out, so no server is left behind.
test.afterEach(async () => {
  if (server) await stopServer(server);
  apns?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("a fresh install follows the checklist to an enrolled device", async ({ browser }) => {
  test.setTimeout(600_000);
  apns = await startApns();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  server = await startFreshServer(port, dataDir, { APNS_URL: `http://127.0.0.1:${apnsPort}` });

  // 1. The first visit is the one-time setup.
  await page.goto(`${base}/`);
  await expect(page).toHaveURL(/\/setup$/);
  await page.getByLabel("Email").fill("owner@walk.example");
  await page.getByLabel("Name").fill("Walk Owner");
  await shots(page, "1-setup");
  await page.getByLabel("Password", { exact: true }).fill("a long walk password");
  await page.getByLabel("Confirm password").fill("a long walk password");
  await page.getByRole("button", { name: "Create owner account" }).click();

  // 2. Signed in on the dashboard, with the checklist: nothing done yet but a warning for http.
  await expect(page).toHaveURL(/\/admin\?setup=done/);
  const checklist = page.getByRole("region", { name: "Finish setting up" });
  await expect(checklist).toBeVisible();
  for (const step of ["push", "ca", "group", "token"]) await expect(checklist.locator(`[data-step="${step}"]`)).toHaveAttribute("data-done", "false");
  await shots(page, "2-checklist");

  // 3. Push certificate, from the checklist's link.
  await checklist.getByRole("link", { name: "Upload the push certificate" }).click();
  await expect(page).toHaveURL(/\/admin\/settings#apns$/);
  const apnsSection = page.getByRole("region", { name: "APNs push certificate" });
  await apnsSection.getByLabel("…or a .p12 with certificate and key").setInputFiles(pushP12(tmp));
  await apnsSection.getByLabel("Its password").last().fill("walk-push");
  await apnsSection.getByRole("button", { name: "Save push certificate" }).click();
  await expect(apnsSection.getByText(/com\.apple\.mgmt\.External\./).first()).toBeVisible();

  // 4. Keep the generated CA, on the dashboard.
  await page.goto(`${base}/admin`);
  await checklist.getByRole("button", { name: "Keep the generated CA" }).click();
  await expect(checklist.locator('[data-step="ca"]')).toHaveAttribute("data-done", "true");
  await expect(checklist.locator('[data-step="push"]')).toHaveAttribute("data-done", "true");

  // 5. A first group with a policy.
  await checklist.getByRole("link", { name: "Create a first group and policy" }).click();
  await page.getByLabel("Name").fill("Walk phones");
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page.getByRole("heading", { name: "Walk phones" })).toBeVisible();
  const profile = path.join(tmp, "restrictions.mobileconfig");
  fs.writeFileSync(profile, restrictionsProfile("com.example.walk.first", "No camera"));
  await page.getByLabel(".mobileconfig file").setInputFiles(profile);
  await page.getByRole("button", { name: "Upload profile" }).click();
  await expect(page.getByText('Profile "No camera" added.')).toBeVisible();

  // 6. A first enrollment link, into that group.
  await page.goto(`${base}/admin`);
  await checklist.getByRole("link", { name: "Create a first enrollment link" }).click();
  await page.getByLabel("Name").fill("Walk link");
  await page.getByLabel("Group Assignment").selectOption({ label: "Walk phones" });
  await page.getByRole("button", { name: "Generate Token" }).click();
  const enrollUrl = await page.getByRole("textbox", { name: "Enrollment URL", exact: true }).inputValue();
  expect(enrollUrl).toMatch(new RegExp(`^${base}/e/[0-9a-z]{14}$`));
  await shots(page, "3-token");
  await enrollPageShots(browser, enrollUrl);

  // 7. A device enrolls from the link and receives the group's policy.
  const device = new SimDevice({ deviceName: "Walk iPhone", serialNumber: "FWALKFRESH01" });
  const { commands } = await device.enrollOta(enrollUrl);
  expect(commands.map((c) => [c.requestType, c.status])).toEqual([["InstallProfile", "Acknowledged"]]);
  await page.goto(`${base}/admin/devices`);
  await page.getByRole("link", { name: "Walk iPhone", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Walk iPhone" })).toBeVisible();
  await expect(page.locator("main")).toContainText("Managed");
  await expect(page.locator("main")).toContainText("Walk phones");
  await shots(page, "4-device");

  // 8. The checklist: every step done but the two only the server's environment can do
  // (an https PUBLIC_URL behind TLS, and the admins' identity provider).
  await page.goto(`${base}/admin`);
  for (const step of ["push", "ca", "group", "token"]) await expect(checklist.locator(`[data-step="${step}"]`)).toHaveAttribute("data-done", "true");
  await expect(checklist.locator('[data-step="https"]')).toContainText("Warning");
  await expect(checklist.locator('[data-step="idp"]')).toHaveAttribute("data-done", "false");
  await shots(page, "5-dashboard");
  await context.close();
});
