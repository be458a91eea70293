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
let child2: ChildProcess | undefined;
let scepUrl = "";
let depot = "";
let scepUrl2 = "";
let depot2 = "";

async function startScepserver(): Promise<{ child: ChildProcess; url: string; depot: string }> {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "e2e-extca-")), "depot");
  execFileSync(SCEPSERVER, ["ca", "-init", "-depot", dir]);
  const port = 21000 + Math.floor(Math.random() * 10000);
  const proc = spawn(SCEPSERVER, ["-depot", dir, "-port", String(port), "-challenge", "e2e-static"], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}/scep`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${url}?operation=GetCACaps`)
        .then((r) => r.ok)
        .catch(() => false)
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child: proc, url, depot: dir };
}

const sha256Of = (dir: string) =>
  /=([0-9A-F:]+)/
    .exec(execFileSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", path.join(dir, "ca.pem")], { encoding: "utf8" }))![1]
    .replace(/:/g, "")
    .toLowerCase();

test.beforeAll(async () => {
  test.skip(!fs.existsSync(SCEPSERVER), "micromdm scepserver not installed");
  ({ child, url: scepUrl, depot } = await startScepserver());
  // A second CA the profile is moved to when edited.
  ({ child: child2, url: scepUrl2, depot: depot2 } = await startScepserver());
});
test.afterAll(() => {
  child?.kill("SIGTERM");
  child2?.kill("SIGTERM");
});

test("an admin pins an external SCEP CA after confirming its fingerprint", async ({ page }) => {
  const sha256 = sha256Of(depot);
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

  // Edit: the form starts from the stored values (never the secret); a new URL needs the new
  // CA's fingerprint confirmed again.
  await row.getByRole("link", { name: "micromdm CA" }).click();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("micromdm CA");
  await expect(page.getByLabel("Static challenge")).toHaveValue("");
  await expect(page.locator("body")).not.toContainText("e2e-static");
  await page.locator("#ext-url").fill(scepUrl2);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText(/needs the CA's fingerprint confirmed again/)).toBeVisible();
  const sha256b = sha256Of(depot2);
  await page.locator("#probe-url").fill(scepUrl2);
  await page.getByRole("button", { name: "Check the SCEP URL" }).click();
  await expect(page.locator('[data-secret="SHA-256"]')).toHaveText(sha256b);
  await page.locator("#ext-url").fill(scepUrl2);
  await page.getByLabel("CA fingerprint (SHA-256 or SHA-1)").fill(sha256b);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText(`External SCEP profile "micromdm CA" saved; CA ${sha256b} pinned.`)).toBeVisible();
  await page.goto("/admin/enrollment/scep");
  await expect(page.getByRole("row", { name: /micromdm CA/ })).toContainText(scepUrl2);
  await expect(page.getByRole("row", { name: /micromdm CA/ })).toContainText(sha256b);

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
  await expect(page.getByRole("textbox", { name: "Enrollment URL", exact: true })).toHaveValue(/\/e\/[0-9a-z]{14}$/);

  // An account-driven routing rule takes the MDM identity from it too.
  await page.goto("/admin/enrollment/account-driven");
  await page.getByText("Add a rule").click();
  await page.locator("#r-domain").fill("extca.example");
  await page.getByLabel("MDM identity from").selectOption({ label: "micromdm CA (external CA)" });
  await page.getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByText("Rule added.")).toBeVisible();
  await expect(page.getByRole("row", { name: /extca\.example/ })).toContainText("micromdm CA (external CA)");
});
