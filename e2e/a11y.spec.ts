// Accessibility: axe-core (WCAG 2.2 A and AA rules) finds no violation on the main pages in
// light and dark mode: the end user's enroll page (iPhone size), an enroll error page, the
// portal's and the account-driven sign-in pages, and the admin's dashboard, tokens (list,
// one token, edit), devices (list, one device) and enrollment log.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Browser, type BrowserContextOptions, type Page } from "@playwright/test";
import { SimDevice } from "../test/sim/device";
import { IPHONE, signInAsOwner } from "./helpers";

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];
const SCHEMES = ["light", "dark"] as const;

/** The violations as readable lines (rule, impact, where), so a failure says what to fix. */
async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(" ")}: ${n.failureSummary?.replace(/\s+/g, " ")}`));
}

/** Every violation on every page in both schemes (all collected, so one run shows them all). */
async function check(browser: Browser, options: BrowserContextOptions, paths: string[], signIn: boolean): Promise<void> {
  const found: string[] = [];
  for (const colorScheme of SCHEMES) {
    // axe runs as an injected script: the pages' own CSP (script-src 'none' on the enroll page) must not stop it.
    const context = await browser.newContext({ ...options, colorScheme, bypassCSP: true });
    const page = await context.newPage();
    if (signIn) await signInAsOwner(page);
    for (const path of paths) {
      await page.goto(path);
      await page.waitForLoadState("networkidle");
      for (const v of await violations(page)) found.push(`${path} (${colorScheme}): ${v}`);
    }
    await context.close();
  }
  expect(found).toEqual([]);
}

/** A token and an enrolled device, so tables and details have content; made once per worker. */
let fixture: Promise<{ tokenId: string; shortUrl: string; fullUrl: string; deviceId: string }> | null = null;
function content(browser: Browser) {
  fixture ??= (async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInAsOwner(page);
    const res = await page.request.post("/api/v1/tokens", { data: { name: "A11y iPhones", expiresIn: "7d", maxUses: 5 }, headers: { origin: new URL(page.url()).origin } });
    expect(res.status()).toBe(201);
    const token = (await res.json()) as { id: string; shortUrl: string; url: string };
    const device = new SimDevice({ deviceName: "A11y iPhone" });
    await device.enrollOta(token.shortUrl);
    const detail = (await (await page.request.get(`/api/v1/devices/${device.udid}`)).json()) as { id: string };
    await context.close();
    return { tokenId: token.id, shortUrl: token.shortUrl, fullUrl: token.url, deviceId: detail.id };
  })();
  return fixture;
}

test("the enroll page and an enroll error page at iPhone size, light and dark", async ({ browser }) => {
  test.setTimeout(180_000);
  const { shortUrl, fullUrl } = await content(browser);
  await check(browser, { ...IPHONE }, [new URL(shortUrl).pathname, `/enroll?token=${new URL(fullUrl).searchParams.get("token")!.slice(0, -15)}`], false);
});

test("the sign-in pages (portal and account-driven), light and dark", async ({ browser }) => {
  await check(browser, { viewport: { width: 1280, height: 900 } }, ["/signin"], false);
  await check(browser, { ...IPHONE }, ["/authenticate/byod?user-identifier=pat%40example.com"], false);
});

test("the admin's dashboard, tokens, devices and log, light and dark", async ({ browser }) => {
  test.setTimeout(240_000);
  const { tokenId, deviceId } = await content(browser);
  const paths = ["/admin", "/admin/enrollment/tokens", `/admin/enrollment/tokens/${tokenId}`, `/admin/enrollment/tokens/${tokenId}/edit`, "/admin/devices", `/admin/devices/${deviceId}`, "/admin/log"];
  await check(browser, { viewport: { width: 1280, height: 900 } }, paths, true);
});

test("the tokens table at iPhone size, light and dark", async ({ browser }) => {
  test.setTimeout(180_000);
  await content(browser);
  await check(browser, { ...IPHONE }, ["/admin/enrollment/tokens"], true);
});
