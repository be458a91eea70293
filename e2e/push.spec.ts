// Push in the portal: the dashboard warns permanently while the lab setting lets devices
// enroll without a push certificate; Settings walks through the push certificate (generate
// the CSR, sign it with an MDM vendor .p12 made by OpenSSL, download Apple's request
// format); a device APNs answered 410 Unregistered shows as not reachable.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { e2eDataEnv } from "../playwright.config";
import { SimDevice } from "../test/sim/device";
import { signInAsOwner } from "./helpers";

test("the dashboard warns that the lab setting enrolls devices that can never be woken", async ({ page }) => {
  await signInAsOwner(page);
  await page.goto("/admin");
  const status = page.getByTestId("push-status");
  await expect(status).toContainText("ALLOW_ENROLL_WITHOUT_PUSH");
  await expect(status).toContainText("can never be woken");
  await expect(status.getByRole("link", { name: /APNs push certificate/ })).toHaveAttribute("href", "/admin/settings#apns");
});

test("Settings generates the push CSR and signs it with the vendor certificate in Apple's format", async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-vendor-"));
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "root.key",
    "-out",
    "root.pem",
    "-days",
    "2",
    "-subj",
    "/CN=E2E Apple Root",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "vendor.key", "-out", "vendor.csr", "-subj", "/CN=MDM Vendor: E2E Org"]);
  openssl(["x509", "-req", "-in", "vendor.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "7", "-days", "2", "-out", "vendor.pem"]);
  openssl(["pkcs12", "-export", "-in", "vendor.pem", "-inkey", "vendor.key", "-out", "vendor.p12", "-passout", "pass:e2e-vendor"]);

  await signInAsOwner(page);
  await page.goto("/admin/settings#apns");
  const section = page.getByRole("region", { name: "APNs push certificate" });
  await expect(section.getByText("ALLOW_ENROLL_WITHOUT_PUSH")).toBeVisible();
  await expect(section).not.toContainText("pick up commands");
  await section.getByRole("button", { name: /^Generate (a new )?request$/ }).click();
  const csrLink = section.getByRole("link", { name: /Download CSR/ });
  await expect(csrLink).toBeVisible();
  const csr = decodeURIComponent((await csrLink.getAttribute("href")) ?? "").replace(/^data:[^,]*,/, "");
  fs.writeFileSync(path.join(dir, "push.csr"), csr);
  expect(execFileSync("openssl", ["req", "-in", "push.csr", "-noout", "-verify"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }).toString()).toBeDefined();

  await section.getByLabel("MDM vendor identity (.p12)").setInputFiles(path.join(dir, "vendor.p12"));
  await section.getByLabel("Its password").first().fill("e2e-vendor");
  await section.getByRole("button", { name: "Sign the request" }).click();
  await expect(section.getByText(/Request signed with .*MDM Vendor: E2E Org/)).toBeVisible();
  const download = section.getByRole("link", { name: "Download the signed request" });
  const request = decodeURIComponent((await download.getAttribute("href")) ?? "").replace(/^data:[^,]*,/, "");
  fs.writeFileSync(path.join(dir, "request.b64"), request);
  const keys = execFileSync("python3", ["-c", "import base64,plistlib; print(','.join(sorted(plistlib.loads(base64.b64decode(open('request.b64').read())).keys())))"], { cwd: dir }).toString().trim();
  expect(keys).toBe("PushCertCertificateChain,PushCertRequestCSR,PushCertSignature");

  // A wrong vendor password is refused with a clear message.
  await section.getByLabel("MDM vendor identity (.p12)").setInputFiles(path.join(dir, "vendor.p12"));
  await section.getByLabel("Its password").first().fill("nope");
  await section.getByRole("button", { name: "Sign the request" }).click();
  await expect(section.getByRole("alert").filter({ hasText: "Wrong password" })).toBeVisible();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("a device APNs answered 410 Unregistered shows as not reachable, with its last push and check-in", async ({ page }) => {
  await signInAsOwner(page);
  const origin = new URL(page.url()).origin;
  const res = await page.request.post("/api/v1/tokens", { data: { name: "Push status", expiresIn: "7d" }, headers: { origin } });
  const sim = new SimDevice({ deviceName: "Push status iPhone" });
  await sim.enrollOta(((await res.json()) as { url: string }).url);
  await page.goto(`/admin/devices/${sim.udid}`);
  await expect(page.getByText("Reachable by push")).toBeVisible();
  const identity = page.getByRole("region", { name: "Identity", exact: true });
  await expect(identity).toContainText(/Push token\s*present/);
  await expect(identity).toContainText(/Last pushed\s*never/);
  await expect(identity).not.toContainText("registered");

  execFileSync(process.execPath, ["--import", "tsx", "e2e/seedPushAnswer.ts", sim.udid, "410 Unregistered"], { env: { ...process.env, ...e2eDataEnv() } });
  await page.reload();
  await expect(identity).toContainText(/Reachable by push\s*No: APNs answered 410 Unregistered/);
  await expect(identity).toContainText(/Last pushed.*APNs answered 410 Unregistered/);
  const api = (await (await page.request.get(`/api/v1/devices/${sim.udid}`)).json()) as { push: { reachable: boolean; lastAnswer: string } };
  expect(api.push).toMatchObject({ reachable: false, lastAnswer: "410 Unregistered" });
});
