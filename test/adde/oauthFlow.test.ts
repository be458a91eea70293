// The OAuth 2 method (protocol notes) step by step over HTTP: the apple-oauth2 challenge,
// authorization-code grant as Apple's public client runs it (no PKCE; state and
// login_hint), the 308 back to the redirect URL, token exchange, the profile, a refresh,
// and a reused refresh token that revokes the whole family. Clients that send PKCE get it
// verified. (test/adde/appleOAuthClient.test.ts sends Apple's exact request bytes.)
import crypto from "node:crypto";
import { parse as parsePlist } from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { verifyAccessToken } from "@/lib/enrollment/accessTokens";
import { updateAddeSettings } from "@/lib/enrollment/addeSettings";
import { createRoute } from "@/lib/enrollment/routes";
import { signInPage } from "@/lib/enrollment/userSignIn";
import { putUser } from "@/lib/enrollment/users";
import { verifySignedData } from "@/lib/pki/cms";
import { validateProfile } from "@/lib/profiles/appleSchema";
import { createTestDb, type TestDb } from "../helpers/db";
import type { RouteServer } from "../helpers/routeServer";
import { discover, enrollPost, form, local, parseBearerChallenge, startAddeServer } from "./deviceClient";
import { setupScep } from "./scepSetup";

let t: TestDb;
let server: RouteServer;
const CLIENT_ID = "enroll-devices";
const REDIRECT = "apple-remotemanagement-user-login:/oauth2/redirection";

beforeAll(async () => {
  t = await createTestDb();
  server = await startAddeServer();
  await setupScep();
  await updateAddeSettings({ authMethod: "oauth2", oauthClientId: CLIENT_ID });
  await createRoute({ domain: "example.com", modelFamily: "Mac", version: "mdm-adde" });
  await createRoute({ domain: "example.com", version: "mdm-byod" });
  await putUser("olivia@example.com", { managedAppleId: "olivia@appleid.example.com", password: "olivia-password" });
});

afterAll(async () => {
  await server?.close();
  await t?.close();
});

type Dict = Record<string, unknown>;

function pkce() {
  const verifier = crypto.randomBytes(32).toString("base64url");
  return { verifier, challenge: crypto.createHash("sha256").update(verifier).digest("base64url") };
}

async function tokenRequest(data: Record<string, string>) {
  const res = await fetch(`${server.url}/oauth2/token`, form(data));
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return { status: res.status, body: (await res.json()) as Dict };
}

/** Discovery → first POST → authorization request → sign-in → code; returns what the device holds. */
async function authorizeLikeADevice(identifier: string, family: string, opts: { pkce?: boolean } = {}) {
  const doc = (await (await discover(server, identifier, family)).json()) as { Servers: { Version: string; BaseURL: string }[] };
  const { Version, BaseURL } = doc.Servers[0];
  const first = await enrollPost(server, BaseURL);
  expect(first.status).toBe(401);
  const c = parseBearerChallenge(first.headers.get("www-authenticate"))!;
  expect(c).toEqual({
    method: "apple-oauth2",
    "authorization-url": "https://mdm.example.test/oauth2/authorize",
    "token-url": "https://mdm.example.test/oauth2/token",
    "redirect-url": REDIRECT,
    "client-id": CLIENT_ID,
    scope: Version,
  });

  const { verifier, challenge } = pkce();
  const state = crypto.randomUUID().toUpperCase();
  const auth = new URL(c["authorization-url"]);
  for (const [k, v] of Object.entries({ response_type: "code", client_id: c["client-id"], redirect_uri: c["redirect-url"], scope: c.scope, state, login_hint: identifier })) {
    auth.searchParams.set(k, v);
  }
  if (opts.pkce) {
    auth.searchParams.set("code_challenge", challenge);
    auth.searchParams.set("code_challenge_method", "S256");
  }
  const a = await fetch(local(server, auth.toString()), { redirect: "manual" });
  expect(a.status).toBe(302);
  const pageUrl = new URL(a.headers.get("location")!);
  expect(pageUrl.pathname).toBe("/authenticate");
  const flow = pageUrl.searchParams.get("flow")!;
  const page = await signInPage({ flow, error: null });
  expect(page).toMatchObject({ ok: true, identifier, version: Version });

  const signIn = await fetch(`${server.url}/authenticate/local`, form({ flow, identifier, password: "olivia-password" }));
  // The web flow ends with a 308 to the redirect URL, as Apple's OAuth 2 article says.
  expect(signIn.status).toBe(308);
  const back = new URL(signIn.headers.get("location")!);
  expect(`${back.protocol}${back.pathname}`).toBe(REDIRECT);
  expect(back.searchParams.get("state")).toBe(state);
  return { Version, BaseURL, code: back.searchParams.get("code")!, verifier, c };
}

describe("OAuth 2 method", () => {
  it("user enrollment: code without PKCE → tokens → BYOD profile; a replayed code revokes the tokens it produced", async () => {
    const d = await authorizeLikeADevice("olivia@example.com", "iPhone");
    expect(d.Version).toBe("mdm-byod");
    const tok = await tokenRequest({ grant_type: "authorization_code", code: d.code, redirect_uri: REDIRECT, client_id: CLIENT_ID });
    expect(tok.status).toBe(200);
    expect(tok.body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "mdm-byod" });
    const access = tok.body.access_token as string;
    const refresh = tok.body.refresh_token as string;

    const second = await enrollPost(server, d.BaseURL, { token: access });
    expect(second.status).toBe(200);
    const { content } = await verifySignedData(new Uint8Array(await second.arrayBuffer()));
    const top = parsePlist(new TextDecoder().decode(content)) as Dict;
    expect(validateProfile(top, { os: "iOS", userEnrollment: true })).toEqual([]);
    const mdm = (top.PayloadContent as Dict[]).find((p) => p.PayloadType === "com.apple.mdm")!;
    expect(mdm.EnrollmentMode).toBe("BYOD");
    expect(mdm.AssignedManagedAppleID).toBe("olivia@appleid.example.com");
    expect(mdm).not.toHaveProperty("AccessRights");

    // The code is single-use; replaying it revokes what it produced.
    const replay = await tokenRequest({ grant_type: "authorization_code", code: d.code, redirect_uri: REDIRECT, client_id: CLIENT_ID });
    expect(replay).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect((await verifyAccessToken(access)).ok).toBe(false);

    // The refresh token from that code died with the family too.
    const afterReplay = await tokenRequest({ grant_type: "refresh_token", refresh_token: refresh, client_id: CLIENT_ID });
    expect(afterReplay).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("device enrollment by model family; refresh rotates, reuse of an old refresh token revokes the family", async () => {
    const d = await authorizeLikeADevice("olivia@example.com", "Mac", { pkce: true });
    expect(d.Version).toBe("mdm-adde");
    const tok = await tokenRequest({ grant_type: "authorization_code", code: d.code, redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: d.verifier });
    expect(tok.status).toBe(200);
    const second = await enrollPost(server, d.BaseURL, { token: tok.body.access_token as string, body: (await import("./deviceClient")).ENROLL_BODY.replace("iPhone17,2", "Mac16,1") });
    expect(second.status).toBe(200);
    const { content } = await verifySignedData(new Uint8Array(await second.arrayBuffer()));
    const top = parsePlist(new TextDecoder().decode(content)) as Dict;
    expect(validateProfile(top, { os: "macOS", userEnrollment: false })).toEqual([]);
    const mdm = (top.PayloadContent as Dict[]).find((p) => p.PayloadType === "com.apple.mdm")!;
    expect(mdm.EnrollmentMode).toBe("ADDE");
    expect(mdm.AccessRights).toBe(8191);

    // This refresh names the client with HTTP Basic instead of client_id (RFC 6749 2.3.1).
    const basic = await fetch(`${server.url}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`${CLIENT_ID}:`).toString("base64")}` },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tok.body.refresh_token as string }).toString(),
    });
    const r1 = { status: basic.status, body: (await basic.json()) as Dict };
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(tok.body.refresh_token);
    expect(r1.body.access_token).not.toBe(tok.body.access_token);
    const fresh = r1.body.access_token as string;
    expect(await verifyAccessToken(fresh)).toMatchObject({ ok: true, userIdentifier: "olivia@example.com", version: "mdm-adde" });
    expect((await db().enrollmentLog.findMany({ where: { step: "adde.refresh", outcome: "OK" } })).length).toBe(1);

    // The device moves on with the new refresh token; then the spent one comes back (stolen copy).
    // It is no longer the immediately previous token, so there is no grace: refused, and everything in the family dies.
    const r2 = await tokenRequest({ grant_type: "refresh_token", refresh_token: r1.body.refresh_token as string, client_id: CLIENT_ID });
    expect(r2.status).toBe(200);
    const reused = await tokenRequest({ grant_type: "refresh_token", refresh_token: tok.body.refresh_token as string, client_id: CLIENT_ID });
    expect(reused).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect(await verifyAccessToken(fresh)).toMatchObject({ ok: false });
    expect(await verifyAccessToken(r2.body.access_token as string)).toMatchObject({ ok: false });
    const r3 = await tokenRequest({ grant_type: "refresh_token", refresh_token: r2.body.refresh_token as string, client_id: CLIENT_ID });
    expect(r3).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const line = await db().enrollmentLog.findFirst({ where: { reason: "refresh_token_reused", step: "adde.refresh" } });
    expect(line?.userIdentifier).toBe("olivia@example.com");
  });

  it("refuses wrong verifier (PKCE client), redirect URI and client with RFC 6749 errors", async () => {
    const d = await authorizeLikeADevice("olivia@example.com", "iPhone", { pkce: true });
    const wrongVerifier = await tokenRequest({ grant_type: "authorization_code", code: d.code, redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: pkce().verifier });
    expect(wrongVerifier).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const d2 = await authorizeLikeADevice("olivia@example.com", "iPhone");
    const wrongRedirect = await tokenRequest({ grant_type: "authorization_code", code: d2.code, redirect_uri: "https://evil.example/cb", client_id: CLIENT_ID });
    expect(wrongRedirect).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect(await tokenRequest({ grant_type: "authorization_code", code: d2.code, client_id: "other" })).toMatchObject({ status: 401, body: { error: "invalid_client" } });
    expect(await tokenRequest({ grant_type: "password", client_id: CLIENT_ID })).toMatchObject({ status: 400, body: { error: "unsupported_grant_type" } });
    expect(await tokenRequest({ grant_type: "refresh_token", client_id: CLIENT_ID, refresh_token: "garbage" })).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const notForm = await fetch(`${server.url}/oauth2/token`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(notForm.status).toBe(400);
    expect(await notForm.json()).toMatchObject({ error: "invalid_request" });
  });

  it("refuses bad authorization requests: unknown client (no redirect), malformed PKCE, missing scope or state (error redirect)", async () => {
    const base = "https://mdm.example.test/oauth2/authorize";
    const q = (p: Record<string, string>) => fetch(local(server, `${base}?${new URLSearchParams(p)}`), { redirect: "manual" });
    const good = { response_type: "code", client_id: CLIENT_ID, redirect_uri: REDIRECT, scope: "mdm-byod", state: "s1", code_challenge: pkce().challenge, code_challenge_method: "S256" };
    // Without PKCE the request is fine (Apple's client never sends it).
    const { code_challenge: _c, code_challenge_method: _m, ...noPkce } = good;
    expect((await q(noPkce)).status).toBe(302);
    const badClient = await q({ ...good, client_id: "nope" });
    expect(badClient.status).toBe(400);
    expect(badClient.headers.get("location")).toBeNull();
    const badRedirect = await q({ ...good, redirect_uri: "https://evil.example/cb" });
    expect(badRedirect.status).toBe(400);
    for (const [over, error] of [
      [{ code_challenge_method: "plain" }, "invalid_request"],
      [{ code_challenge: "" }, "invalid_request"],
      [{ code_challenge: "short" }, "invalid_request"],
      [{ scope: "openid" }, "invalid_scope"],
      [{ response_type: "token" }, "unsupported_response_type"],
      [{ login_hint: "no-domain" }, "invalid_request"],
    ] as [Record<string, string>, string][]) {
      const res = await q({ ...good, ...over });
      expect(res.status).toBe(308);
      const loc = new URL(res.headers.get("location")!);
      expect(loc.searchParams.get("error")).toBe(error);
      expect(loc.searchParams.get("state")).toBe("s1");
    }
    const { state: _s, ...noState } = noPkce;
    const stateless = await q(noState);
    expect(stateless.status).toBe(308);
    const loc = new URL(stateless.headers.get("location")!);
    expect(loc.searchParams.get("error")).toBe("invalid_request");
    expect(loc.searchParams.get("error_description")).toBe("state is required");
  });
});
