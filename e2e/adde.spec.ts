// Account-driven enrollment against the real server and the real OIDC provider, with
// Chromium at an iPhone viewport standing in for the device's web authentication sheet:
// discovery → first POST (401 challenge) → /authenticate → IdP sign-in → the
// apple-remotemanagement-user-login:// redirect with the token → second POST → profile.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import { expect, test } from "@playwright/test";
import { parse as parsePlist } from "plist";
import { completeIdpSignIn, createApiKeyViaCli, IPHONE } from "./helpers";

const ENROLL_BODY = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict><key>LANGUAGE</key><string>en-US</string><key>PRODUCT</key><string>iPhone17,2</string><key>VERSION</key><string>22C152</string></dict></plist>
`;

let apiKey = "";

function parseChallenge(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (header ?? "").replace(/^Bearer\s+/i, "").matchAll(/([A-Za-z-]+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

test.beforeAll(async ({ request }) => {
  apiKey = createApiKeyViaCli("adde-e2e");
  const auth = { authorization: `Bearer ${apiKey}` };
  const rule = await request.post("/api/v1/adde/routes", { headers: auth, data: { domain: "example.com", version: "mdm-byod" } });
  expect(rule.status()).toBe(201);
  const user = await request.put("/api/v1/users/ivy@example.com", { headers: auth, data: { managedAppleId: "ivy@appleid.example.com" } });
  expect([200, 201]).toContain(user.status());
});

test("an iPhone signs in on /authenticate through the IdP and the token enrolls", async ({ browser, request, baseURL }) => {
  // Steps 2-3: discovery.
  const d = await request.get("/.well-known/com.apple.remotemanagement?user-identifier=ivy%40example.com&model-family=iPhone");
  expect(d.status()).toBe(200);
  const { Servers } = (await d.json()) as { Servers: { Version: string; BaseURL: string }[] };
  expect(Servers).toEqual([{ Version: "mdm-byod", BaseURL: `${baseURL}/adde/byod` }]);

  // Steps 4-5: first POST → 401 with the apple-as-web challenge.
  const first = await request.post(Servers[0].BaseURL, { headers: { "content-type": "application/xml" }, data: ENROLL_BODY });
  expect(first.status()).toBe(401);
  const challenge = parseChallenge(first.headers()["www-authenticate"]);
  expect(challenge.method).toBe("apple-as-web");
  const authUrl = new URL(challenge.url);
  authUrl.searchParams.set("user-identifier", "ivy@example.com");

  // Steps 6-11 in Chromium at the iPhone viewport.
  const context = await browser.newContext({ ...IPHONE });
  const page = await context.newPage();
  await page.goto(authUrl.toString());
  await expect(page.getByRole("heading", { name: "Sign in to enroll" })).toBeVisible();
  await expect(page.getByText("ivy@example.com")).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(IPHONE.viewport.width);
  await page.getByRole("button", { name: /^Continue with / }).click();

  const res = await completeIdpSignIn(page, "ivy@example.com");
  expect(res.status()).toBe(308);
  const resultLocation: string | null = res.headers().location ?? null;
  await context.close();

  expect(resultLocation).not.toBeNull();
  const result = new URL(resultLocation!);
  expect(result.protocol).toBe("apple-remotemanagement-user-login:");
  expect(result.host).toBe("authentication-results");
  const token = result.searchParams.get("access-token")!;
  expect(token).toMatch(/^ada_/);

  // Step 12: the second POST with the bearer token returns the signed profile.
  const second = await request.post(Servers[0].BaseURL, { headers: { "content-type": "application/xml", authorization: `Bearer ${token}` }, data: ENROLL_BODY });
  expect(second.status(), await second.text()).toBe(200);
  expect(second.headers()["content-type"]).toBe("application/x-apple-aspen-config");
  const signed = await second.body();
  const xml = execFileSync("openssl", ["cms", "-verify", "-noverify", "-inform", "DER"], { input: signed, stdio: ["pipe", "pipe", "ignore"] }).toString("utf8");
  const top = parsePlist(xml) as { PayloadContent: Record<string, unknown>[] };
  const mdm = top.PayloadContent.find((p) => p.PayloadType === "com.apple.mdm")!;
  expect(mdm.EnrollmentMode).toBe("BYOD");
  expect(mdm.AssignedManagedAppleID).toBe("ivy@appleid.example.com");
  expect(mdm).not.toHaveProperty("AccessRights");

  // A wrong token is refused with a new challenge.
  const wrong = await request.post(Servers[0].BaseURL, { headers: { "content-type": "application/xml", authorization: `Bearer ${token.slice(0, -3)}xyz` }, data: ENROLL_BODY });
  expect(wrong.status()).toBe(401);
});

test("OAuth 2 method as Apple's client runs it (no PKCE) through the IdP in Chromium: 308 with code and state, token, profile, refresh, retried refresh", async ({ browser, request }) => {
  const auth = { authorization: `Bearer ${apiKey}` };
  expect((await request.put("/api/v1/adde/settings", { headers: auth, data: { authMethod: "oauth2", oauthClientId: "apple-enroll-e2e" } })).status()).toBe(200);
  try {
    const base = "/adde/byod";
    const first = await request.post(base, { headers: { "content-type": "application/xml" }, data: ENROLL_BODY });
    expect(first.status()).toBe(401);
    const c = parseChallenge(first.headers()["www-authenticate"]);
    expect(c).toMatchObject({ method: "apple-oauth2", "client-id": "apple-enroll-e2e", scope: "mdm-byod", "redirect-url": "apple-remotemanagement-user-login:/oauth2/redirection" });

    // Exactly the parameters Apple's client sends: no PKCE, a UUID as state, then login_hint.
    const state = crypto.randomUUID().toUpperCase();
    const authorize = new URL(c["authorization-url"]);
    const params = {
      response_type: "code",
      client_id: c["client-id"],
      redirect_uri: c["redirect-url"],
      scope: c.scope,
      state,
      login_hint: "ivy@example.com",
    };
    for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);

    const context = await browser.newContext({ ...IPHONE });
    const page = await context.newPage();
    await page.goto(authorize.toString());
    await expect(page.getByText("ivy@example.com")).toBeVisible();
    await page.getByRole("button", { name: /^Continue with / }).click();
    const res = await completeIdpSignIn(page, "ivy@example.com");
    expect(res.status()).toBe(308);
    const back = new URL(res.headers().location);
    await context.close();
    expect(`${back.protocol}${back.pathname}`).toBe("apple-remotemanagement-user-login:/oauth2/redirection");
    expect(back.searchParams.get("state")).toBe(state);

    const tokenUrl = new URL(c["token-url"]).pathname;
    const tok = await request.post(tokenUrl, { form: { grant_type: "authorization_code", code: back.searchParams.get("code")!, redirect_uri: c["redirect-url"], client_id: c["client-id"] } });
    expect(tok.status()).toBe(200);
    const tokens = (await tok.json()) as { access_token: string; refresh_token: string; token_type: string };
    expect(tokens.token_type).toBe("Bearer");

    const second = await request.post(base, { headers: { "content-type": "application/xml", authorization: `Bearer ${tokens.access_token}` }, data: ENROLL_BODY });
    expect(second.status()).toBe(200);
    expect(second.headers()["content-type"]).toBe("application/x-apple-aspen-config");

    const refresh = (refresh_token: string) => request.post(tokenUrl, { form: { grant_type: "refresh_token", refresh_token, client_id: c["client-id"] } });
    const refreshed = await refresh(tokens.refresh_token);
    expect(refreshed.status()).toBe(200);
    const next = (await refreshed.json()) as { refresh_token: string };
    // The answer was lost and the device retries: inside the grace window it gets the same pair.
    const retried = await refresh(tokens.refresh_token);
    expect(retried.status()).toBe(200);
    expect(((await retried.json()) as { refresh_token: string }).refresh_token).toBe(next.refresh_token);
    // Once the new token has been used, the old one coming back is reuse: refused.
    expect((await refresh(next.refresh_token)).status()).toBe(200);
    const reused = await refresh(tokens.refresh_token);
    expect(reused.status()).toBe(400);
    expect(await reused.json()).toMatchObject({ error: "invalid_grant" });
  } finally {
    await request.put("/api/v1/adde/settings", { headers: auth, data: { authMethod: "simple" } });
  }
});

test("an identifier with + is discovered and shown on the sign-in page as typed", async ({ browser, request }) => {
  // The device leaves "+" unencoded in user-identifier.
  const d = await request.get("/.well-known/com.apple.remotemanagement?user-identifier=ivy+e2e@example.com&model-family=iPhone");
  expect(d.status()).toBe(200);
  const first = await request.post("/adde/byod", { headers: { "content-type": "application/xml" }, data: ENROLL_BODY });
  const challenge = parseChallenge(first.headers()["www-authenticate"]);
  const context = await browser.newContext({ ...IPHONE });
  const page = await context.newPage();
  await page.goto(`${challenge.url}?user-identifier=ivy+e2e@example.com`);
  await expect(page.getByText("ivy+e2e@example.com")).toBeVisible();
  await context.close();
});

test("an unknown domain gets Apple's well-known failed document", async ({ request }) => {
  const res = await request.get("/.well-known/com.apple.remotemanagement?user-identifier=x%40unknown.example.org&model-family=iPhone");
  expect(res.status()).toBe(403);
  expect(await res.json()).toMatchObject({ code: "com.apple.well-known.failed" });
});
