// Hostile traffic against the real server (issue 18): a flood of unauthenticated check-ins
// is one enrollment-log line with its count; signing out ends the session on the server, so
// a copied cookie is refused; a Read-only admin never receives enrollment links, QR codes or
// static SCEP challenges, not in the page, its HTML or its RSC payload.
import crypto from "node:crypto";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { signInAsOwner } from "./helpers";
import { roleLabel, signInWithIdp } from "./portalHelpers";

const FLOOD = 300;

function authenticatePlist(udid: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict><key>MessageType</key><string>Authenticate</string><key>Topic</key><string>com.apple.mgmt.External.flood</string><key>UDID</key><string>${udid}</string></dict></plist>`;
}

async function flood(request: APIRequestContext, udid: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () => request.put("/mdm/checkin", { data: authenticatePlist(udid), headers: { "content-type": "application/x-apple-aspen-mdm-checkin" } })),
    );
    statuses.push(...batch.map((r) => r.status()));
  }
  return statuses;
}

test("a flood of unsigned check-ins is one log line with its count, first and last seen", async ({ page, request }) => {
  const udid = `FLOOD-${crypto.randomUUID().toUpperCase()}`;
  const statuses = await flood(request, udid, FLOOD);
  expect(statuses.every((s) => s === 401)).toBe(true);

  await page.setViewportSize({ width: 1280, height: 900 });
  await signInAsOwner(page);
  // Repeats are written by each worker every few seconds: reload until the count is complete.
  const row = page.locator("table tbody tr", { hasText: udid });
  await expect(async () => {
    await page.goto(`/admin/log?${new URLSearchParams({ device: udid })}`);
    await expect(row).toHaveCount(1, { timeout: 1_000 });
    await expect(row.getByTestId("log-repeats")).toContainText("×300", { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(row).toContainText("Unauthenticated MDM request");
  await expect(row.getByTestId("log-repeats")).toContainText(/first \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC · last \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);

  // The API and the CSV export carry the same count.
  const api = await page.request.get(`/api/v1/log?${new URLSearchParams({ device: udid })}`);
  const { lines } = (await api.json()) as { lines: { count: number; firstSeen: string; lastSeen: string }[] };
  expect(lines).toHaveLength(1);
  expect(lines[0].count).toBe(FLOOD);
  expect(Date.parse(lines[0].lastSeen)).toBeGreaterThanOrEqual(Date.parse(lines[0].firstSeen));
  const csv = (await (await page.request.get(`/api/v1/log?${new URLSearchParams({ device: udid, format: "csv" })}`)).text()).trim().split("\r\n");
  expect(csv[0]).toMatch(/,count,last_seen$/);
  expect(csv).toHaveLength(2);
  expect(csv[1]).toMatch(new RegExp(`,${FLOOD},\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z$`));
});

test("signing out ends the session: a copy of the cookie taken before is refused", async ({ page, browser }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signInAsOwner(page);
  const copied = (await page.context().cookies()).filter((c) => c.name.includes("next-auth.session-token"));
  expect(copied.length).toBeGreaterThan(0);

  // The copy works while the session lives.
  const thief = await browser.newContext();
  await thief.addCookies(copied);
  expect((await thief.request.get("/api/v1/devices")).status()).toBe(200);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);

  expect((await thief.request.get("/api/v1/devices")).status()).toBe(401);
  const thiefPage = await thief.newPage();
  await thiefPage.goto("/admin");
  await expect(thiefPage).toHaveURL(/\/signin/);
  await thief.close();
});

/** The page as the browser shows it, its HTML as served, and its RSC payload (client navigation). */
async function everythingServed(page: Page, path: string): Promise<string> {
  const res = await page.goto(path);
  expect(res?.status(), path).toBe(200);
  const html = await (await page.request.get(path)).text();
  const rsc = await (await page.request.get(path, { headers: { RSC: "1" } })).text();
  return [await page.content(), html, rsc].join("\n");
}

test("a Read-only admin gets no enrollment link, QR code or static SCEP challenge anywhere", async ({ page, browser }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signInAsOwner(page);
  const origin = new URL(page.url()).origin;
  const created = await page.request.post("/api/v1/tokens", { data: { name: "Secret link", expiresIn: "7d" }, headers: { origin } });
  expect(created.status()).toBe(201);
  const token = (await created.json()) as { id: string; jwt: string; url: string; shortUrl: string };
  const shortId = token.shortUrl.split("/").pop()!;
  const scep = await page.request.post("/api/v1/scep-profiles", { data: { name: "Static for readers", challengeType: "STATIC" }, headers: { origin } });
  expect(scep.status()).toBe(201);
  const { profile, staticChallenge } = (await scep.json()) as { profile: { id: string }; staticChallenge: string };
  expect(staticChallenge).toBeTruthy();
  const secrets = [token.jwt, shortId, staticChallenge];

  // The Owner sees the link (so the check below can fail).
  expect(await everythingServed(page, `/admin/enrollment/tokens/${token.id}`)).toContain(token.shortUrl);

  const readerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const reader = await readerContext.newPage();
  await signInWithIdp(reader, "reader-secrets@example.com");
  await expect(roleLabel(reader)).toHaveText("Read-only");
  for (const path of ["/admin/enrollment/tokens", `/admin/enrollment/tokens/${token.id}`, "/admin/enrollment/scep", `/admin/enrollment/scep/${profile.id}`, "/admin"]) {
    const served = await everythingServed(reader, path);
    for (const secret of secrets) expect(served.includes(secret), `${path} must not carry ${secret.slice(0, 12)}…`).toBe(false);
  }
  await reader.goto(`/admin/enrollment/tokens/${token.id}`);
  await expect(reader.getByText("only Admins and Owners see them")).toBeVisible();
  await expect(reader.getByRole("img", { name: /QR code/ })).toHaveCount(0);
  await expect(reader.getByRole("button", { name: /^Copy/ })).toHaveCount(0);
  // Nor through the API with the same session.
  expect((await reader.request.get(`/api/v1/tokens/${token.id}/qr.png`)).status()).toBe(403);
  const apiText = [
    await (await reader.request.get("/api/v1/tokens")).text(),
    await (await reader.request.get("/api/v1/scep-profiles")).text(),
    await (await reader.request.get(`/api/v1/scep-profiles/${profile.id}`)).text(),
  ].join("\n");
  for (const secret of secrets) expect(apiText.includes(secret)).toBe(false);
  await readerContext.close();
});
