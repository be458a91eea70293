// Enrollment › SCEP › external CA in the portal: check micromdm's scepserver's URL, confirm the
// fingerprint it shows (compared with OpenSSL's), save, and see the pinned CA in the list.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { signInAsOwner } from "./helpers";

const SCEPSERVER = "/usr/bin/scepserver";
let child: ChildProcess | undefined;
let scepUrl = "";
let depot = "";

test.beforeAll(async () => {
  test.skip(!fs.existsSync(SCEPSERVER), "micromdm scepserver not installed");
  depot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "e2e-extca-")), "depot");
  execFileSync(SCEPSERVER, ["ca", "-init", "-depot", depot]);
  const port = 21000 + Math.floor(Math.random() * 10000);
  child = spawn(SCEPSERVER, ["-depot", depot, "-port", String(port), "-challenge", "e2e-static"], { stdio: "ignore" });
  scepUrl = `http://127.0.0.1:${port}/scep`;
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${scepUrl}?operation=GetCACaps`).then((r) => r.ok).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
});
test.afterAll(() => {
  child?.kill("SIGTERM");
});

test("an admin pins an external SCEP CA after confirming its fingerprint", async ({ page }) => {
  const sha256 = /=([0-9A-F:]+)/.exec(execFileSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", path.join(depot, "ca.pem")], { encoding: "utf8" }))![1].replace(/:/g, "").toLowerCase();
  await signInAsOwner(page);
  await page.goto("/admin/enrollment/scep");
  await page.getByRole("link", { name: "New external SCEP profile" }).click();
  await page.locator("#probe-url").fill(scepUrl);
  await page.getByRole("button", { name: "Check the SCEP URL" }).click();
  const shown = page.locator('[data-secret="SHA-256"]');
  await expect(shown).toHaveText(sha256);

  await page.getByLabel("Name", { exact: true }).fill("micromdm CA");
  await page.locator("#ext-url").fill(scepUrl);
  await page.getByLabel("CA fingerprint (SHA-256 or SHA-1)").fill("00".repeat(32));
  await page.getByRole("radio", { name: /Static/ }).check();
  await page.getByLabel("Static challenge").fill("e2e-static");
  await page.getByRole("button", { name: "Save external SCEP profile" }).click();
  await expect(page.getByText(/not the expected 0000/)).toBeVisible();

  // The form starts empty again after an answer (React resets uncontrolled forms): fill it anew.
  await page.getByLabel("Name", { exact: true }).fill("micromdm CA");
  await page.locator("#ext-url").fill(scepUrl);
  await page.getByLabel("CA fingerprint (SHA-256 or SHA-1)").fill(sha256);
  await page.getByRole("radio", { name: /Static/ }).check();
  await page.getByLabel("Static challenge").fill("e2e-static");
  await page.getByRole("button", { name: "Save external SCEP profile" }).click();
  await expect(page.getByText(`External SCEP profile "micromdm CA" saved; CA ${sha256} pinned.`)).toBeVisible();

  await page.goto("/admin/enrollment/scep");
  const row = page.getByRole("row", { name: /micromdm CA/ });
  await expect(row).toContainText(scepUrl);
  await expect(row).toContainText(sha256);
  await expect(page.locator("body")).not.toContainText("e2e-static");

  // A group gets a certificate policy from it; a token takes its MDM identity from it.
  await page.goto("/admin/groups");
  await page.getByLabel("Name").fill("Okta Macs");
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page.getByRole("heading", { name: "Okta Macs" })).toBeVisible();
  await page.getByLabel("External SCEP profile").selectOption({ label: "micromdm CA" });
  await page.getByLabel("Redistribute days before expiry").fill("30");
  await page.getByRole("button", { name: "Add certificate policy" }).click();
  await expect(page.getByText(/Certificate policy ".+" added/)).toBeVisible();
  await expect(page.getByText("Certificate", { exact: true }).first()).toBeVisible();

  await page.goto("/admin/enrollment/tokens/new");
  await page.getByLabel("Name").fill("External identity");
  await page.getByLabel("SCEP Profile").selectOption({ label: "micromdm CA (external CA)" });
  await page.getByRole("button", { name: "Generate Token" }).click();
  await expect(page.getByRole("textbox", { name: "Enrollment URL" })).toHaveValue(/\/enroll\?token=/);
});
