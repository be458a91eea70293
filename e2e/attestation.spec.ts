// Attestation on the device page: an admin requests it with the portal button; the iPhone
// stand-in answers with a chain from a test root, which the server (trusting only Apple's root)
// flags. A verified attestation (recorded by the server's verifier under a test root, see
// seedAttestation.ts) shows as hardware-attested with serial, UDID, OS and SEP OS.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { e2eDataEnv } from "../playwright.config";
import { makeAppleAttestationChain, makeTestAttestationRoot } from "../test/helpers/fakeAppleAttestation";
import { SimDevice } from "../test/sim/device";
import { signInAsOwner } from "./helpers";

async function apiToken(page: Page, name: string): Promise<string> {
  const origin = new URL(page.url()).origin;
  const res = await page.request.post("/api/v1/tokens", { data: { name, expiresIn: "7d" }, headers: { origin } });
  expect(res.status(), await res.text()).toBe(201);
  return ((await res.json()) as { url: string }).url;
}

test("an admin requests attestation from the device page; the page shows the verdict", async ({ page }) => {
  test.setTimeout(180_000);
  await signInAsOwner(page);
  const url = await apiToken(page, "Attested iPhones");
  const root = makeTestAttestationRoot();
  const key = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey;
  let sim: SimDevice | null = null;
  sim = new SimDevice({
    deviceName: "Attest iPhone",
    serialNumber: "FATTEST01Q1G",
    productName: "iPhone16,1",
    osVersion: "18.2",
    attestation: (nonce) =>
      makeAppleAttestationChain(root, { serialNumber: sim!.serialNumber, udid: sim!.udid, osVersion: "18.2", sepOsVersion: "18.2", freshness: Buffer.from(nonce ?? []), publicKey: key }),
  });
  await sim.enrollOta(url);
  const device = (await (await page.request.get(`/api/v1/devices/${sim.udid}`)).json()) as { id: string; actions: string[] };
  expect(device.actions).toContain("request-attestation");

  await page.goto(`/admin/devices/${device.id}`);
  const card = page.getByRole("region", { name: "Hardware attestation" });
  await expect(card).toContainText("Not attested yet");
  const actions = page.getByRole("region", { name: "Device actions" });
  await actions.getByRole("button", { name: "Request attestation", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Request attestation", exact: true }).click();
  await expect(actions.getByText(/Request attestation queued/)).toBeVisible();
  await page.reload();
  await expect(card).toContainText("waiting for the device's answer");

  // The stand-in's chain is not Apple's: flagged, with the reason and where to read the fix.
  await sim.pollCommands();
  await page.reload();
  await expect(card).toContainText("Flagged: the attestation did not verify");
  await expect(card).toContainText("attestation-chain");

  // Verified by the server's verifier under a test root: hardware-attested.
  const verdict = execFileSync(process.execPath, ["--import", "tsx", "e2e/seedAttestation.ts", device.id], { encoding: "utf8", env: { ...process.env, ...e2eDataEnv() } }).trim();
  expect(verdict.split("\n").pop()).toBe("verified"); // after the log lines the script prints
  await page.reload();
  await expect(card).toContainText("hardware-attested");
  await expect(card).toContainText("FATTEST01Q1G");
  await expect(card).toContainText(sim.udid);
  await expect(card).toContainText("18.2");
});
