// Re-enrollment in the portal: the rule on the Settings page, a device re-enrolled through
// another link waiting on its page, and the admin's approval handing it to the new identity
// (the old one is refused afterwards). Devices are scripted (test/sim/device.ts) over HTTP.
import { expect, test, type Page } from "@playwright/test";
import { SimDevice } from "../test/sim/device";
import { signInAsOwner } from "./helpers";

async function apiToken(page: Page, name: string): Promise<{ id: string; url: string }> {
  const res = await page.request.post("/api/v1/tokens", { data: { name, expiresIn: "7d" }, headers: { origin: new URL(page.url()).origin } });
  expect(res.status(), await res.text()).toBe(201);
  return res.json();
}

async function saveRule(page: Page, title: RegExp): Promise<void> {
  await page.getByRole("radio", { name: title }).check();
  await page.getByRole("button", { name: "Save re-enrollment rule" }).click();
  await expect(page.getByText("Saved. The rule applies to the next Authenticate of a known device.")).toBeVisible();
}

test("a device re-enrolled through another link waits for the admin, who approves it", async ({ page }) => {
  test.setTimeout(180_000);
  await signInAsOwner(page);

  await page.goto("/admin/settings#reenrollment");
  await expect(page.getByRole("heading", { name: "Re-enrollment" })).toBeVisible();
  await expect(page.getByRole("radio", { name: /^Same enrollment link or same user/ })).toBeChecked();
  await saveRule(page, /^Only after an admin approves/);
  await page.reload();
  await expect(page.getByRole("radio", { name: /^Only after an admin approves/ })).toBeChecked();
  await saveRule(page, /^Same enrollment link or same user/);

  const first = await apiToken(page, "Re-enroll first link");
  const second = await apiToken(page, "Re-enroll second link");
  const device = new SimDevice({ deviceName: "Re-enroll iPhone" });
  await device.enrollOta(first.url);
  // The same UDID through the other link, with a new identity: held, so it gets nothing.
  const newcomer = new SimDevice({ udid: device.udid, deviceName: "Re-enroll iPhone" });
  expect((await newcomer.enrollOta(second.url)).commands).toEqual([]);

  const detail = await (await page.request.get(`/api/v1/devices/${device.udid}`)).json();
  await page.goto(`/admin/devices/${detail.id}`);
  const section = page.getByRole("region", { name: "Re-enrollments" });
  await expect(section.getByText("Waiting for approval")).toBeVisible();
  await expect(section).toContainText("Re-enroll second link");
  await expect(section).toContainText("Re-enroll first link");
  await expect(page.getByRole("region", { name: "Enrollment timeline" })).toContainText("Re-enrollment held for an admin's approval");
  expect((await device.report({ Status: "Idle" })).status).toBe(200);

  await section.getByRole("button", { name: "Approve re-enrollment" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Approve" }).click();
  // The page re-renders with the decision in place of the buttons.
  await expect(section.getByText("Applied")).toBeVisible();
  await expect(section).toContainText("by owner@example.com");
  await expect(section.getByRole("button", { name: "Approve re-enrollment" })).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("region", { name: "Enrollment timeline" })).toContainText("Re-enrollment (approved by");

  // The previous identity is refused; the new one is the device now.
  expect((await device.report({ Status: "Idle" })).status).toBe(401);
  expect((await newcomer.report({ Status: "Idle" })).status).toBe(200);

  await page.goto("/admin");
  const dashboard = page.getByRole("region", { name: "Re-enrollments" });
  await expect(dashboard.getByRole("link", { name: "Re-enroll iPhone" })).toBeVisible();
  await expect(dashboard).toContainText("1 re-enrollment in 7 days");
});
