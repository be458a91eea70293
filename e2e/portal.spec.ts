// The portal end to end: an admin (signed in through the real OIDC provider) goes from an
// empty install to an enrolled device: SCEP profile and group in the UI, a token on the OTA
// page, a scripted device (test/sim/device.ts) enrolls over HTTP, and the device and its log
// lines show up with the right status. Screenshots for docs/screenshots/ come from this run.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { SimDevice } from "../test/sim/device";
import { restrictionsProfile } from "../test/mdm/fixtures/profiles";
import { signInWithIdp } from "./portalHelpers";

const SHOTS = path.join(import.meta.dirname, "..", "docs", "screenshots");

async function shoot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const [suffix, width, height] of [
    ["desktop", 1280, 900],
    ["phone", 390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.waitForLoadState("networkidle");
    await page.screenshot({ path: path.join(SHOTS, `${name}-${suffix}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const INVALID_PROFILE = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>PayloadType</key><string>Configuration</string>
  <key>PayloadVersion</key><integer>1</integer>
  <key>PayloadIdentifier</key><string>com.example.broken</string>
  <key>PayloadUUID</key><string>4F1D1A57-0000-4000-8000-000000000001</string>
  <key>PayloadContent</key><array><dict>
    <key>PayloadType</key><string>com.apple.applicationaccess</string>
    <key>PayloadVersion</key><integer>1</integer>
    <key>PayloadIdentifier</key><string>com.example.broken.restrictions</string>
    <key>PayloadUUID</key><string>4F1D1A57-0000-4000-8000-000000000002</string>
    <key>allowCamera</key><string>no</string>
  </dict></array>
</dict></plist>`;

test("an admin goes from an empty install to an enrolled, managed device", async ({ page, browser }) => {
  test.setTimeout(300_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "portal-e2e-"));
  await page.setViewportSize({ width: 1280, height: 900 });
  // Our pages must not throw or log errors in the browser (hydration, React warnings).
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if ((msg.type() === "error" || msg.type() === "warning") && msg.location().url.startsWith(new URL(page.url() || "http://x").origin) && !page.url().startsWith(process.env.E2E_OIDC_URL ?? "-")) {
      problems.push(`console ${msg.type()}: ${msg.text()} (${msg.location().url} on ${page.url()})`);
    }
  });
  await signInWithIdp(page, "admin-walk@example.com");
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  // 1. SCEP profiles. The token's: a one-time (dynamic) challenge per enrollment.
  await page.getByRole("navigation", { name: "Main" }).first().getByRole("link", { name: "SCEP Profiles" }).click();
  await page.getByRole("link", { name: "New SCEP profile" }).click();
  await page.getByLabel("Name").fill("Walk identity");
  await page.getByRole("radio", { name: /^Dynamic/ }).check();
  await page.getByLabel("Subject template").fill("CN=$UDID,O=Walk");
  await page.getByLabel("Validity (days)").fill("730");
  await page.getByRole("button", { name: "Create SCEP profile" }).click();
  await expect(page.getByText('SCEP profile "Walk identity" created.')).toBeVisible();
  await expect(page.locator("[data-secret]")).toHaveCount(0);
  await page.getByRole("link", { name: "Open the profile" }).click();
  await expect(page.getByRole("heading", { name: "Walk identity" })).toBeVisible();
  await expect(page.getByLabel("Validity (days)")).toHaveValue("730");

  // A template whose fixed text is already over CN's 64 characters is refused, naming the field.
  await page.goto("/admin/enrollment/scep/new");
  await page.getByLabel("Name").fill("Walk too long");
  await page.getByLabel("Subject template").fill(`CN=$UDID ${"x".repeat(70)}`);
  await page.getByRole("button", { name: "Create SCEP profile" }).click();
  await expect(page.getByText("subjectTemplate: the fixed text of CN has 71 characters")).toBeVisible();

  // A static one: a weak password is refused; left empty, a strong one is generated and shown once, never again.
  await page.goto("/admin/enrollment/scep/new");
  await page.getByLabel("Name").fill("Walk static");
  await page.getByRole("radio", { name: /^Static/ }).check();
  await page.getByLabel("Static password (optional)").fill("Password123!");
  await page.getByRole("button", { name: "Create SCEP profile" }).click();
  await expect(page.getByText("staticChallenge: the static password is a common word or password")).toBeVisible();
  // React resets the form after the refused submit: fill it again.
  await page.getByLabel("Name").fill("Walk static");
  await page.getByRole("radio", { name: /^Static/ }).check();
  await page.getByLabel("Static password (optional)").fill("");
  await page.getByRole("button", { name: "Create SCEP profile" }).click();
  const secret = page.locator('[data-secret="Static password"]');
  await expect(secret).toHaveText(/^\S{24}$/);
  const staticPassword = await secret.innerText();
  await page.getByRole("link", { name: "Open the profile" }).click();
  await expect(page.getByRole("heading", { name: "Walk static" })).toBeVisible();
  expect(await page.content()).not.toContain(staticPassword);

  // An NDES profile: the challenge URL and its credentials are shown once and work; a reset
  // password replaces the old one at once.
  await page.goto("/admin/enrollment/scep/new");
  await page.getByLabel("Name").fill("Walk NDES");
  await page.getByRole("radio", { name: /^NDES/ }).check();
  await page.getByLabel("Challenge URL user name (optional)").fill("walk-ndes");
  await expect(page.getByLabel("Password cache size")).toHaveValue("5");
  await page.getByLabel("Password cache size").fill("250");
  await page.getByRole("button", { name: "Create SCEP profile" }).click();
  const ndesUrl = await page.locator('[data-secret="Challenge URL"]').innerText();
  await expect(page.locator('[data-secret="User name"]')).toHaveText("walk-ndes");
  const ndesPassword = await page.locator('[data-secret="Password"]').innerText();
  const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` });
  const ndesPage = await fetch(ndesUrl, { headers: basic("walk-ndes", ndesPassword) });
  expect(ndesPage.status).toBe(200);
  // NDES's format: 16 uppercase hexadecimal characters in Microsoft's sentence.
  expect(
    Buffer.from(await ndesPage.arrayBuffer())
      .subarray(2)
      .toString("utf16le"),
  ).toMatch(/The enrollment challenge password is: <B> [A-F0-9]{16} <\/B>/);
  await page.getByRole("link", { name: "Open the profile" }).click();
  await expect(page.getByText(ndesUrl)).toBeVisible();
  await expect(page.getByText("250 unused challenges")).toBeVisible();
  await page.getByRole("button", { name: "Reset NDES password" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Reset password" }).click();
  const newPassword = await page.locator('[data-secret="Password"]').innerText();
  expect(newPassword).not.toBe(ndesPassword);
  expect((await fetch(ndesUrl, { headers: basic("walk-ndes", ndesPassword) })).status).toBe(401);
  expect((await fetch(ndesUrl, { headers: basic("walk-ndes", newPassword) })).status).toBe(200);
  await page.reload();
  expect(await page.content()).not.toContain(newPassword);

  // 2. A group with a validated profile (a broken one is refused with Apple's schema errors) and a command.
  await page.goto("/admin/groups");
  await page.getByLabel("Name").fill("Walk iPhones");
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page.getByRole("heading", { name: "Walk iPhones" })).toBeVisible();
  const broken = path.join(tmp, "broken.mobileconfig");
  fs.writeFileSync(broken, INVALID_PROFILE);
  await page.getByLabel(".mobileconfig file").setInputFiles(broken);
  await page.getByRole("button", { name: "Upload profile" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Apple's schema" })).toContainText("allowCamera");
  const good = path.join(tmp, "restrictions.mobileconfig");
  fs.writeFileSync(good, restrictionsProfile("com.example.walk.restrictions", "Walk restrictions"));
  await page.getByLabel(".mobileconfig file").setInputFiles(good);
  await page.getByRole("button", { name: "Upload profile" }).click();
  await expect(page.getByText('Profile "Walk restrictions" added.')).toBeVisible();
  await page.getByLabel("Command", { exact: true }).selectOption("DeviceInformation");
  await page.getByRole("button", { name: "Add command" }).click();
  await expect(page.getByText('Command "DeviceInformation" added.')).toBeVisible();
  await page.getByLabel("Command", { exact: true }).selectOption("ProfileList");
  await page.getByRole("button", { name: "Add command" }).click();
  await expect(page.getByText('Command "ProfileList" added.')).toBeVisible();
  // Reorder: the ProfileList command moves above DeviceInformation (optimistic, then saved).
  await page.getByRole("button", { name: "Move ProfileList up" }).click();
  await expect(page.getByText("Order saved.")).toBeVisible();
  await page.reload();
  await expect(page.locator("li[data-policy]")).toHaveText([/Walk restrictions/, /ProfileList/, /DeviceInformation/]);
  await shoot(page, "group");

  // 3. A token on the OTA helper's page, with the group and the SCEP profile.
  await page.goto("/admin/enrollment/tokens/new");
  await page.getByLabel("Name").fill("Walk BYOD");
  await page.getByLabel("Group Assignment").selectOption({ label: "Walk iPhones" });
  await page.getByLabel("SCEP Profile").selectOption({ label: "Walk identity (dynamic challenge)" });
  await page.getByRole("button", { name: "Generate Token" }).click();
  // The short link is what the portal hands out (issue 17); the full JWT link is one click away.
  const urlField = page.getByRole("textbox", { name: "Enrollment URL", exact: true });
  await expect(urlField).toHaveValue(/\/e\/[0-9a-z]{14}$/);
  const enrollUrl = await urlField.inputValue();
  await page.getByText("Full link (JWT)").click();
  const fullUrl = await page.getByRole("textbox", { name: "Full enrollment URL" }).inputValue();
  const tokenPage = page.url();

  // Two failed downloads, so the log and the dashboard have errors with fixes.
  const origin = new URL(enrollUrl).origin;
  expect((await fetch(`${origin}/enroll/profile?token=${encodeURIComponent(fullUrl.split("token=")[1].slice(0, 40))}`)).status).toBeGreaterThanOrEqual(400);
  expect((await fetch(`${origin}/enroll/profile?token=eyJhbGciOiJFUzI1NiJ9.e30.AAAA`)).status).toBeGreaterThanOrEqual(400);

  // 4. Scripted devices (test/sim/device.ts) enroll from the link like an iPhone: enroll page,
  // signed profile download, SCEP with the profile's challenge, Authenticate, TokenUpdate,
  // then the group's policies in the order set above.
  const sim = new SimDevice({ deviceName: "Walk iPhone", serialNumber: "FWALK0001Q1G" });
  const { profile, commands } = await sim.enrollOta(enrollUrl);
  expect(profile.PayloadType).toBe("Configuration");
  expect(commands.map((c) => [c.requestType, c.status])).toEqual([
    ["InstallProfile", "Acknowledged"],
    ["ProfileList", "Acknowledged"],
    ["DeviceInformation", "Acknowledged"],
  ]);
  const second = new SimDevice({ deviceName: "Walk iPad", productName: "iPad14,1", modelName: "iPad" });
  await second.enrollOta(enrollUrl);
  const managed = await (await page.request.get("/api/v1/devices?status=MANAGED&limit=200")).json();
  expect(managed.devices.map((d: { udid: string }) => d.udid)).toEqual(expect.arrayContaining([sim.udid, second.udid]));
  const detail = await (await page.request.get(`/api/v1/devices/${sim.udid}`)).json();
  expect(detail).toMatchObject({ status: "MANAGED", group: { name: "Walk iPhones" }, token: { name: "Walk BYOD" }, serialNumber: "FWALK0001Q1G" });
  expect(detail.commands.map((c: { requestType: string; status: string }) => `${c.requestType}:${c.status}`)).toEqual(
    expect.arrayContaining(["InstallProfile:ACKNOWLEDGED", "ProfileList:ACKNOWLEDGED", "DeviceInformation:ACKNOWLEDGED"]),
  );
  await page.goto("/admin/enrollment/tokens");
  await expect(page.getByRole("row").filter({ hasText: "Walk BYOD" })).toContainText("2 / ∞");

  // 5. The device is in the table, Managed, in the group; its page shows identity, certificate, commands, timeline.
  await page.goto("/admin/devices");
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: "Walk iPhone", exact: true }) });
  await expect(row).toContainText("Managed");
  await expect(row).toContainText("Walk iPhones");
  await page.getByLabel("Search").fill("FWALK0001");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page.getByRole("row")).toHaveCount(2);
  await page.getByLabel("Status").selectOption("PENDING");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page.getByText("No devices match these filters")).toBeVisible();
  await page.goto("/admin/devices");
  await shoot(page, "devices");

  await page.getByRole("link", { name: "Walk iPhone", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Walk iPhone", exact: true })).toBeVisible();
  await expect(page.getByText(sim.udid).first()).toBeVisible();
  await expect(page.locator("main").getByText("Managed").first()).toBeVisible();
  await expect(page.getByRole("region", { name: "Group", exact: true })).toContainText("Walk iPhones");
  await expect(page.getByRole("region", { name: "Identity certificate" })).toContainText("O=Walk");
  await expect(page.getByRole("region", { name: "Identity certificate" })).toContainText("Walk identity");
  await expect(page.getByRole("region", { name: "Command history" })).toContainText("DeviceInformation");
  await expect(page.getByRole("region", { name: /Installed profiles/ })).toContainText("com.example.walk.restrictions");
  await expect(page.getByRole("region", { name: "Enrollment timeline" })).toContainText("Authenticate");
  const devicePage = page.url();
  await shoot(page, "device");

  // Re-send policies: pending state, then the count.
  await page.getByRole("button", { name: "Re-send policies" }).click();
  await expect(page.getByText("3 policies queued again.")).toBeVisible();
  // Remove asks first; cancelling keeps the device.
  await page.getByRole("button", { name: "Remove device" }).click();
  await expect(page.getByRole("dialog")).toContainText("Remove Walk iPhone?");
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByRole("dialog")).toBeHidden();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Walk iPhone", exact: true })).toBeVisible();

  // The iPad leaves the group: the group's profile is removed from it at its next session.
  await page.goto("/admin/devices");
  await page.getByRole("link", { name: "Walk iPad", exact: true }).click();
  await page.getByLabel("Move to group").selectOption({ label: "No group" });
  await page.getByRole("button", { name: "Move", exact: true }).click();
  await expect(page.getByText("Moved. 1 command queued.")).toBeVisible();
  expect((await second.pollCommands()).map((c) => [c.requestType, c.status])).toEqual([["RemoveProfile", "Acknowledged"]]);
  await page.reload();
  await expect(page.getByRole("region", { name: "Group", exact: true })).toContainText("Not in a group");

  // Revoking the iPad's certificate (confirmed) locks it out; the log names the reason and its fix.
  await page.getByRole("button", { name: "Revoke certificate" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke certificate" }).click();
  // The page re-renders with the certificate marked revoked (and no revoke button).
  await expect(page.getByRole("region", { name: "Identity certificate" })).toContainText("Revoked");
  await expect(page.getByRole("button", { name: "Revoke certificate" })).toHaveCount(0);
  expect((await second.report({ Status: "Idle" })).status).toBe(401);
  const ipadPage = page.url();
  await page.goto("/admin/log?reason=checkin_cert_revoked");
  const revokedLine = page.locator('tbody tr[data-outcome="ERROR"]').first();
  await expect(revokedLine.getByRole("link", { name: "Revoked device certificate" })).toBeVisible();
  await expect(revokedLine).toContainText("Fix: The device's identity certificate was revoked. Re-enroll the device.");
  await page.goto(ipadPage);

  // Removing the iPad, confirmed in the dialog, takes it off the list.
  await page.getByRole("button", { name: "Remove device" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove device" }).click();
  await expect(page).toHaveURL(/\/admin\/devices\?removed=1/);
  await expect(page.getByRole("status").filter({ hasText: "Device removed." })).toBeVisible();
  await expect(page.getByRole("link", { name: "Walk iPad", exact: true })).toHaveCount(0);
  expect((await page.request.get(`/api/v1/devices/${second.udid}`)).status()).toBe(404);

  // 6. The log: the device's lines, errors linked to their fix, CSV export with the filters.
  await page.goto(`/admin/log?device=${encodeURIComponent(sim.udid)}`);
  const lines = page.locator("tbody tr");
  await expect(lines.first()).toBeVisible();
  expect(await page.locator('tbody tr[data-outcome="OK"]').count()).toBeGreaterThanOrEqual(3);
  await expect(page.locator('tbody tr[data-outcome="ERROR"]')).toHaveCount(0);
  await expect(page.locator("tbody")).toContainText("Authenticate");
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const csv = fs.readFileSync(await (await download).path(), "utf8");
  expect(csv.split("\r\n")[0]).toBe("time,step,outcome,reason,reason_title,fix,message,device,user,token,remote_addr,count,last_seen");
  expect(csv).toContain(sim.udid);
  expect(
    csv
      .trimEnd()
      .split("\r\n")
      .every((l, i) => i === 0 || l.includes(sim.udid)),
  ).toBe(true);

  // The token's own lines: profile served twice, challenges issued, and one error: the report
  // refused after the certificate was revoked (refusals name the certificate's token).
  const tokenId = new URL(tokenPage).pathname.split("/").pop()!;
  await page.goto(`/admin/log?token=${encodeURIComponent(tokenId)}`);
  await expect(page.locator("tbody")).toContainText("Enrollment profile served");
  const tokenErrors = page.locator('tbody tr[data-outcome="ERROR"]');
  await expect(tokenErrors).toHaveCount(1);
  await expect(tokenErrors.getByRole("link", { name: "Revoked device certificate" })).toBeVisible();

  await page.goto("/admin/log?outcome=ERROR");
  const error = page.locator('tbody tr[data-outcome="ERROR"]').first();
  await expect(error).toBeVisible();
  await error.getByRole("link").first().click();
  await expect(page).toHaveURL(/\/admin\/log\/reasons#(checkin_cert_revoked|token_malformed)$/);
  await expect(page.locator(`[id="${new URL(page.url()).hash.slice(1)}"]`)).toContainText("Fix:");
  await page.goto("/admin/log");
  await shoot(page, "log");

  // 7. Dashboard counts and recent errors; the token page.
  await page.goto("/admin");
  await expect(page.getByRole("region", { name: "Devices by status" })).toContainText(/Managed\s*\d/);
  await expect(page.getByRole("region", { name: "Recent errors" })).toContainText("Fix:");
  await shoot(page, "dashboard");
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: path.join(SHOTS, "dashboard-dark-desktop.png"), fullPage: true });
  await page.goto(devicePage);
  await page.screenshot({ path: path.join(SHOTS, "device-dark-desktop.png"), fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto(tokenPage.replace(/\?.*$/, ""));
  await expect(page.getByRole("heading", { name: "Walk BYOD" })).toBeVisible();
  await shoot(page, "token");
  expect(problems).toEqual([]);

  // 8. A Read-only admin sees the same device, group and SCEP profile without any control.
  const readerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const reader = await readerContext.newPage();
  await signInWithIdp(reader, "reader-walk@example.com");
  const groupPage = `/admin/groups/${detail.group.id}`;
  for (const path of [new URL(devicePage).pathname, groupPage, "/admin/enrollment/scep", "/admin/settings", "/admin/enrollment/account-driven"]) {
    await reader.goto(path);
    await expect(reader.locator("main h1").first(), path).toBeVisible();
    // The user search on the account-driven page is the only button a reader gets.
    expect(
      (await reader.locator("main").getByRole("button").allInnerTexts()).filter((b) => b !== "Search"),
      path,
    ).toEqual([]);
    expect(await reader.locator("main input[type=file], main textarea, main select").count(), path).toBe(0);
  }
  await reader.goto(new URL(devicePage).pathname);
  await expect(reader.getByRole("region", { name: "Command history" })).toContainText("DeviceInformation");
  await readerContext.close();
});
