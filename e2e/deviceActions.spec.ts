// Device actions from the portal: an admin locks, erases, restarts and clears the passcode
// of an enrolled (supervised) iPhone stand-in, confirming each; the device receives each
// command, valid to Apple's schema, and acknowledges it; the timeline shows each. A
// user-enrolled device's page offers no Erase.
import { execFileSync } from "node:child_process";
import { expect, test, type Page } from "@playwright/test";
import { e2eDataEnv } from "../playwright.config";
import { validateCommand } from "../lib/profiles/appleSchema";
import type { PlistDict } from "../lib/plist/plist";
import { SimDevice } from "../test/sim/device";
import { signInAsOwner } from "./helpers";

async function apiToken(page: Page, name: string): Promise<string> {
  const origin = new URL(page.url()).origin;
  const res = await page.request.post("/api/v1/tokens", { data: { name, expiresIn: "7d" }, headers: { origin } });
  expect(res.status(), await res.text()).toBe(201);
  return ((await res.json()) as { url: string }).url;
}

async function runAction(page: Page, label: string, fill?: (region: ReturnType<Page["getByRole"]>) => Promise<void>): Promise<void> {
  const region = page.getByRole("region", { name: "Device actions" });
  if (fill) await fill(region);
  await region.getByRole("button", { name: label, exact: true }).click();
  // The confirmation step: nothing is queued before it.
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: /^(Lock device|Erase device|Restart|Clear passcode)$/ }).click();
  await expect(region.getByText(new RegExp(`${label} queued`))).toBeVisible();
}

test("an admin locks, erases, restarts and clears the passcode of a device from its page", async ({ page }) => {
  test.setTimeout(180_000);
  await signInAsOwner(page);
  const url = await apiToken(page, "Actions iPhones");
  const sim = new SimDevice({ deviceName: "Actions iPhone", serialNumber: "FACTS0001Q1G", supervised: true });
  await sim.enrollOta(url);

  const device = (await (await page.request.get(`/api/v1/devices/${sim.udid}`)).json()) as { id: string; actions: string[] };
  if (!device.actions.includes("restart")) {
    // Supervision is learned from DeviceInformation: ask for it first.
    await page.goto(`/admin/devices/${device.id}`);
    await runActionPlain(page, "Update inventory now");
    await sim.pollCommands();
  }
  await page.goto(`/admin/devices/${device.id}`);
  const region = page.getByRole("region", { name: "Device actions" });
  await expect(region.getByRole("button", { name: "Erase", exact: true })).toBeVisible();

  await runAction(page, "Lock", async (r) => {
    await r.getByLabel("Lock screen message").fill("Return to IT, floor 3");
    await r.getByLabel("Phone number").first().fill("+1 555 0100");
  });
  await runAction(page, "Erase");
  await runAction(page, "Restart");
  await runAction(page, "Clear passcode");
  // A queued command can be taken back before the device gets it.
  await runActionPlain(page, "Shut down");
  await page.reload();
  const history = page.getByRole("region", { name: "Command history" });
  await history.getByRole("button", { name: "Cancel ShutDownDevice" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Cancel command" }).click();
  // The row goes with the command.
  await expect(history).not.toContainText("ShutDownDevice");

  const handled = await sim.pollCommands();
  const types = handled.map((h) => h.requestType);
  expect(types).toEqual(expect.arrayContaining(["DeviceLock", "EraseDevice", "RestartDevice", "ClearPasscode"]));
  expect(types).not.toContain("ShutDownDevice");
  for (const h of handled) {
    expect(validateCommand(h.requestType, h.command as PlistDict, { os: "iOS" })).toEqual([]);
    expect(h.status, h.requestType).toBe("Acknowledged");
  }
  expect(handled.find((h) => h.requestType === "DeviceLock")!.command).toMatchObject({ Message: "Return to IT, floor 3", PhoneNumber: "+1 555 0100" });
  expect(Buffer.from(handled.find((h) => h.requestType === "ClearPasscode")!.command.UnlockToken as Uint8Array).equals(sim.unlockToken)).toBe(true);

  await page.reload();
  const timeline = page.getByRole("region", { name: "Enrollment timeline" });
  for (const h of handled.filter((x) => x.requestType !== "DeviceInformation")) {
    await expect(timeline).toContainText(`${h.requestType} ${h.uuid}: Acknowledged`);
    await expect(timeline).toContainText(`(${h.requestType} ${h.uuid}) queued by session:`);
  }
  await expect(page.getByRole("region", { name: "Command history" })).toContainText("EraseDevice");
});

async function runActionPlain(page: Page, label: string): Promise<void> {
  const region = page.getByRole("region", { name: "Device actions" });
  await region.getByRole("button", { name: label, exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: label, exact: true }).click();
  await expect(region.getByText(new RegExp(`${label} queued`))).toBeVisible();
}

test("a user-enrolled device is not offered Erase", async ({ page }) => {
  const id = execFileSync(process.execPath, ["--import", "tsx", "e2e/seedDevice.ts", "BYOD-E2E-ENROLLMENT-ID", "iOS", "USER_ENROLLMENT"], {
    encoding: "utf8",
    env: { ...process.env, ...e2eDataEnv() },
  }).trim();
  await signInAsOwner(page);
  await page.goto(`/admin/devices/${id}`);
  await expect(page.getByRole("heading", { name: "Seeded BYOD-E2E-ENROLLMENT-ID" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Device actions" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Erase", exact: true })).toHaveCount(0);
});
