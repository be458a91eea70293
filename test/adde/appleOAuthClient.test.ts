// The OAuth 2 method end to end with a client that sends exactly Apple's requests
// (test/fixtures/adde, no PKCE): discovery of name+tag@example.com, the 401 challenge,
// the authorization request → sign-in → 308 with code and state, the token request, the
// profile, SCEP, Authenticate, TokenUpdate and polls with the Bearer token (check-in and
// report bodies as binary plists written by Python's plistlib), a silent refresh, a
// retried refresh inside the grace window, reuse beyond it, and the forced sign-in after
// an admin revokes the user's tokens. Then a PKCE-sending client, and routing changes.
import crypto from "node:crypto";
import { parse as parsePlist } from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggedCount } from "@/test/helpers/logCount";
import { db } from "@/lib/db/client";
import { revokeUserTokens } from "@/lib/enrollment/accessTokens";
import { updateAddeSettings } from "@/lib/enrollment/addeSettings";
import { REFRESH_GRACE_SECONDS } from "@/lib/enrollment/oauth";
import { createRoute, deleteRoute } from "@/lib/enrollment/routes";
import { signInPage } from "@/lib/enrollment/userSignIn";
import { putUser } from "@/lib/enrollment/users";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { verifySignedData } from "@/lib/pki/cms";
import { createTestDb, type TestDb } from "../helpers/db";
import { serveRouteImports, type RouteServer } from "../helpers/routeServer";
import { scepEnroll } from "../helpers/scepClient";
import { serveMdm, simDevice } from "../mdm/helpers";
import type { SimDevice } from "../sim/device";
import { fixtureRequest, pythonBinaryPlist, queryItems, send } from "./appleClient";
import { enrollPost, form, parseBearerChallenge, startAddeServer } from "./deviceClient";

let t: TestDb;
let adde: RouteServer;
let mdm: RouteServer;
let scep: RouteServer;
const CLIENT_ID = "apple+enroll";
const REDIRECT = "apple-remotemanagement-user-login:/oauth2/redirection";
const WHO = "olivia+phone@example.com";
const PASSWORD = "olivia-password-1";
let routeId: string;

beforeAll(async () => {
  t = await createTestDb();
  adde = await startAddeServer();
  mdm = await serveMdm();
  scep = await serveRouteImports({ "/scep/[id]": import("@/app/scep/[id]/route") });
  await updateAddeSettings({ authMethod: "oauth2", oauthClientId: CLIENT_ID });
  routeId = (await createRoute({ domain: "example.com", version: "mdm-byod" })).id;
  await putUser(WHO, { password: PASSWORD, managedAppleId: "olivia@appleid.example.com" });
});

afterAll(async () => {
  await adde?.close();
  await mdm?.close();
  await scep?.close();
  await t?.close();
});

type Dict = Record<string, unknown>;
type Challenge = Record<string, string>;

async function tokenCall(name: "oauth2-token-request" | "oauth2-refresh-request", c: Challenge, values: Record<string, string>) {
  const res = await send(adde, fixtureRequest(name, { "token-path": new URL(c["token-url"]).pathname, "client-id": c["client-id"], "redirect-url": c["redirect-url"], ...values }));
  expect(res.headers.get("cache-control")).toBe("no-store");
  return { status: res.status, body: (await res.json()) as Dict };
}

/** Discovery → 401 → Apple's authorization request → sign-in → the 308 the client reads. */
async function signInLikeApple(extra: { pkce?: string } = {}) {
  const d = await send(adde, fixtureRequest("discovery", { "user-identifier": WHO, "model-family": "iPhone" }));
  expect(d.status).toBe(200);
  const { Servers } = (await d.json()) as { Servers: { Version: string; BaseURL: string }[] };
  expect(Servers).toEqual([{ Version: "mdm-byod", BaseURL: "https://mdm.example.test/adde/byod" }]);
  const first = await enrollPost(adde, Servers[0].BaseURL, { body: pythonBinaryPlist({ LANGUAGE: "en-US", PRODUCT: "iPhone17,2", VERSION: "22C152" }) });
  expect(first.status).toBe(401);
  const c = parseBearerChallenge(first.headers.get("www-authenticate"))!;
  expect(c).toMatchObject({ method: "apple-oauth2", "client-id": CLIENT_ID, "redirect-url": REDIRECT, scope: "mdm-byod" });

  // Apple's client: a fresh UUID as state; login_hint is the typed identifier, "+" unencoded.
  const state = crypto.randomUUID().toUpperCase();
  const req = fixtureRequest("oauth2-authorization-request", {
    "authorization-path": new URL(c["authorization-url"]).pathname,
    "client-id": c["client-id"],
    "redirect-url": c["redirect-url"],
    scope: c.scope,
    state,
    login_hint: WHO,
  });
  expect(req.target).toContain(`login_hint=${WHO}`);
  expect(req.target).not.toContain("code_challenge");
  if (extra.pkce) req.target += `&code_challenge=${extra.pkce}&code_challenge_method=S256`;
  const a = await send(adde, req);
  expect(a.status).toBe(302);
  const flow = new URL(a.headers.get("location")!).searchParams.get("flow")!;
  // The sign-in page is prefilled with the identifier, plus sign and all.
  expect(await signInPage({ flow, error: null })).toMatchObject({ ok: true, identifier: WHO, version: "mdm-byod" });

  const signIn = await fetch(`${adde.url}/authenticate/local`, form({ flow, identifier: WHO, password: PASSWORD }));
  expect(signIn.status).toBe(308);
  const location = signIn.headers.get("location")!;
  expect(location.startsWith(`${REDIRECT}?`)).toBe(true);
  const items = queryItems(location);
  // The client compares state exactly and takes the code; nothing else is needed.
  expect(items.get("state")).toBe(state);
  expect(items.get("code")).toMatch(/^adc_/);
  return { c, baseUrl: Servers[0].BaseURL, code: items.get("code")! };
}

/** The profile → SCEP → a device stand-in that speaks binary plists with the given bearer. */
async function enrollDevice(baseUrl: string, bearer: () => string | null): Promise<SimDevice> {
  const res = await enrollPost(adde, baseUrl, { token: bearer()!, body: pythonBinaryPlist({ LANGUAGE: "en-US", PRODUCT: "iPhone17,2", VERSION: "22C152" }) });
  expect(res.status).toBe(200);
  const { content } = await verifySignedData(new Uint8Array(await res.arrayBuffer()));
  const top = parsePlist(new TextDecoder().decode(content)) as { PayloadContent: Dict[] };
  const mdmPayload = top.PayloadContent.find((p) => p.PayloadType === "com.apple.mdm") as { CheckInURL: string; ServerURL: string; AssignedManagedAppleID: string };
  expect(mdmPayload.AssignedManagedAppleID).toBe("olivia@appleid.example.com");
  const scepPayload = top.PayloadContent.find((p) => p.PayloadType === "com.apple.security.scep")!.PayloadContent as { URL: string; Challenge: string; Subject: string[][][]; Keysize: number };
  const subject = scepPayload.Subject.map((rdn) => rdn.map(([k, v]) => `${k}=${v}`).join("+")).join(",");
  const issued = await scepEnroll({ url: `${scep.url}${new URL(scepPayload.URL).pathname}`, challenge: scepPayload.Challenge, subject, keySize: scepPayload.Keysize });
  const toTest = (u: string) => `${mdm.url}${new URL(u).pathname}${new URL(u).search}`;
  return simDevice(
    mdm,
    await currentMdmTopic(),
    { certDer: issued.certDer, privateKeyPem: issued.privateKeyPem },
    {
      mode: "user-enrollment",
      bearer,
      checkInUrl: toTest(mdmPayload.CheckInURL),
      serverUrl: toTest(mdmPayload.ServerURL),
    },
  );
}

/** Check-in and poll bodies as binary plists from plistlib, signed as the device signs. */
function binaryCheckin(device: SimDevice, message: Dict) {
  return device.put(device.checkInUrl, pythonBinaryPlist(jsonable(message)), { contentType: "application/x-apple-aspen-mdm-checkin" });
}
function binaryPoll(device: SimDevice) {
  return device.put(device.serverUrl, pythonBinaryPlist(jsonable({ ...device.ids, Status: "Idle" })), { contentType: "application/x-apple-aspen-mdm" });
}
function jsonable(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $data: Buffer.from(v).toString("base64") };
  if (Array.isArray(v)) return v.map(jsonable);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x)]));
  return v;
}

describe("Apple's OAuth 2 client (no PKCE)", () => {
  it("enrolls name+tag@example.com end to end, refreshes silently, survives a retried refresh, and must sign in again after revocation", async () => {
    const { c, baseUrl, code } = await signInLikeApple();
    const tok = await tokenCall("oauth2-token-request", c, { code });
    expect(tok.status).toBe(200);
    expect(tok.body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "mdm-byod" });
    let access = tok.body.access_token as string;
    let refresh = tok.body.refresh_token as string;

    const device = await enrollDevice(baseUrl, () => access);
    expect((await binaryCheckin(device, device.authenticateMessage())).status).toBe(200);
    expect((await binaryCheckin(device, device.tokenUpdateMessage())).status).toBe(200);
    expect((await binaryPoll(device)).status).toBe(200);
    const row = await db().device.findUniqueOrThrow({ where: { identifier: device.identifier }, include: { user: true } });
    expect(row).toMatchObject({ status: "ENROLLED", enrollmentType: "USER_ENROLLMENT" });
    expect(row.user?.identifier).toBe(WHO);

    // Silent refresh: exactly Apple's refresh request.
    const r1 = await tokenCall("oauth2-refresh-request", c, { refresh_token: refresh });
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(refresh);
    // The answer was lost; the client retries with the same refresh token and gets the same pair.
    const retry = await tokenCall("oauth2-refresh-request", c, { refresh_token: refresh });
    expect(retry.status).toBe(200);
    expect(retry.body.access_token).toBe(r1.body.access_token);
    expect(retry.body.refresh_token).toBe(r1.body.refresh_token);
    const previous = refresh;
    access = r1.body.access_token as string;
    refresh = r1.body.refresh_token as string;
    expect((await binaryPoll(device)).status).toBe(200);
    expect(await db().enrollmentLog.count({ where: { step: "adde.refresh", outcome: "WARNING", message: { contains: "grace window" } } })).toBe(1);

    // Once the successor has been used, the previous token is no longer "the immediately previous": reuse.
    const r2 = await tokenCall("oauth2-refresh-request", c, { refresh_token: refresh });
    expect(r2.status).toBe(200);
    access = r2.body.access_token as string;
    refresh = r2.body.refresh_token as string;
    expect((await tokenCall("oauth2-refresh-request", c, { refresh_token: previous })).body).toMatchObject({ error: "invalid_grant" });
    // Reuse revoked the family: the device's token and its refresh token are dead; it must sign in again.
    const refused = await binaryPoll(device);
    expect(refused.status).toBe(401);
    expect(parseBearerChallenge(refused.headers.get("www-authenticate"))).toMatchObject({ method: "apple-oauth2", "client-id": CLIENT_ID });
    expect((await tokenCall("oauth2-refresh-request", c, { refresh_token: refresh })).status).toBe(400);

    // Sign in again (interactive), new tokens; then the admin revokes them: refresh fails, polls get the challenge.
    const again = await signInLikeApple();
    const tok2 = await tokenCall("oauth2-token-request", again.c, { code: again.code });
    access = tok2.body.access_token as string;
    refresh = tok2.body.refresh_token as string;
    expect((await binaryPoll(device)).status).toBe(200);
    await revokeUserTokens(WHO);
    expect(await tokenCall("oauth2-refresh-request", c, { refresh_token: refresh })).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const afterRevoke = await binaryPoll(device);
    expect(afterRevoke.status).toBe(401);
    expect(parseBearerChallenge(afterRevoke.headers.get("www-authenticate"))?.method).toBe("apple-oauth2");
    expect(await db().enrollmentLog.count({ where: { step: "checkin", reason: "tokens_revoked_by_admin", deviceIdentifier: device.identifier } })).toBeGreaterThan(0);
  });

  it("a retry after the grace window counts as reuse and revokes the family", async () => {
    const { c, code } = await signInLikeApple();
    const tok = await tokenCall("oauth2-token-request", c, { code });
    const r1 = await tokenCall("oauth2-refresh-request", c, { refresh_token: tok.body.refresh_token as string });
    expect(r1.status).toBe(200);
    // The rotation happened longer ago than the window allows.
    const spent = await db().accessToken.findFirstOrThrow({ where: { kind: "REFRESH", usedAt: { not: null }, revokedAt: null }, orderBy: { usedAt: "desc" } });
    await db().accessToken.update({ where: { id: spent.id }, data: { usedAt: new Date(Date.now() - (REFRESH_GRACE_SECONDS + 1) * 1000) } });
    expect(await tokenCall("oauth2-refresh-request", c, { refresh_token: tok.body.refresh_token as string })).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect(await tokenCall("oauth2-refresh-request", c, { refresh_token: r1.body.refresh_token as string })).toMatchObject({ status: 400 });
    // The sealed successor of a rotation is not kept past the window.
    expect(await db().accessToken.count({ where: { id: spent.id, successor: { not: null } } })).toBe(0);
  });

  it("concurrent refreshes with one token all get the same new pair", async () => {
    const { c, code } = await signInLikeApple();
    const tok = await tokenCall("oauth2-token-request", c, { code });
    const answers = await Promise.all([1, 2, 3].map(() => tokenCall("oauth2-refresh-request", c, { refresh_token: tok.body.refresh_token as string })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.refresh_token)).size).toBe(1);
  });
});

describe("clients that send PKCE", () => {
  it("work with the right verifier; a wrong or missing verifier is refused", async () => {
    const verifier = crypto.randomBytes(32).toString("base64url");
    const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
    const a = await signInLikeApple({ pkce: challenge });
    expect(await tokenCall("oauth2-token-request", a.c, { code: a.code })).toMatchObject({ status: 400, body: { error: "invalid_grant", error_description: "code_verifier is missing or malformed" } });
    const b = await signInLikeApple({ pkce: challenge });
    const bad = fixtureRequest("oauth2-token-request", { "token-path": "/oauth2/token", "client-id": CLIENT_ID, "redirect-url": REDIRECT, code: b.code });
    bad.body += `&code_verifier=${crypto.randomBytes(32).toString("base64url")}`;
    const badRes = await send(adde, bad);
    expect(badRes.status).toBe(400);
    expect(await badRes.json()).toMatchObject({ error: "invalid_grant", error_description: "code_verifier does not match the code_challenge" });
    const d = await signInLikeApple({ pkce: challenge });
    const good = fixtureRequest("oauth2-token-request", { "token-path": "/oauth2/token", "client-id": CLIENT_ID, "redirect-url": REDIRECT, code: d.code });
    good.body += `&code_verifier=${verifier}`;
    const goodRes = await send(adde, good);
    expect(goodRes.status).toBe(200);
    expect(await goodRes.json()).toMatchObject({ token_type: "Bearer" });
    // A verifier for a code asked for without a challenge is a downgrade attempt.
    const e = await signInLikeApple();
    const downgrade = fixtureRequest("oauth2-token-request", { "token-path": "/oauth2/token", "client-id": CLIENT_ID, "redirect-url": REDIRECT, code: e.code });
    downgrade.body += `&code_verifier=${verifier}`;
    expect((await send(adde, downgrade)).status).toBe(400);
  });
});

describe("routing changes take effect", () => {
  it("a user whose rule was disabled or deleted gets the challenge on check-ins and a refused refresh", async () => {
    const { c, baseUrl, code } = await signInLikeApple();
    const tok = await tokenCall("oauth2-token-request", c, { code });
    const access = tok.body.access_token as string;
    const device = await enrollDevice(baseUrl, () => access);
    expect((await device.authenticate()).status).toBe(200);
    expect((await device.tokenUpdate()).status).toBe(200);

    // Malformed binary bodies from the enrolled device: 400 with the reason logged, never a 500.
    const trailer = (numObjects: number, tableAt: number) => {
      const t = Buffer.alloc(32);
      t[6] = 1;
      t[7] = 1;
      t.writeBigUInt64BE(BigInt(numObjects), 8);
      t.writeBigUInt64BE(BigInt(tableAt), 24);
      return t;
    };
    const cyclic = new Uint8Array(Buffer.concat([Buffer.from("bplist00", "latin1"), Buffer.from([0xa1, 0, 8]), trailer(1, 10)]));
    const hugeCount = new Uint8Array(Buffer.concat([Buffer.from("bplist00", "latin1"), Buffer.from([0xdf, 0x13, 0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 8]), trailer(1, 18)]));
    const offsetsOutside = new Uint8Array(Buffer.concat([Buffer.from("bplist00", "latin1"), Buffer.from([0x09, 8]), trailer(2 ** 40, 9)]));
    for (const body of [cyclic, hugeCount, offsetsOutside]) {
      expect((await device.put(device.checkInUrl, body, { contentType: "application/x-apple-aspen-mdm-checkin" })).status).toBe(400);
      expect((await device.put(device.serverUrl, body, { contentType: "application/x-apple-aspen-mdm" })).status).toBe(400);
    }
    expect(await db().enrollmentLog.count({ where: { reason: "checkin_malformed", message: { contains: "contains itself" } } })).toBeGreaterThan(0);

    await db().addeRoute.update({ where: { id: routeId }, data: { enabled: false } });
    const refused = await device.tokenUpdate();
    expect(refused.status).toBe(401);
    expect(parseBearerChallenge(refused.headers.get("www-authenticate"))?.method).toBe("apple-oauth2");
    const line = await db().enrollmentLog.findFirstOrThrow({ where: { step: "checkin", reason: "adde_route_removed" } });
    expect(line.message).toContain(`no enabled routing rule gives ${WHO} mdm-byod`);
    expect(await tokenCall("oauth2-refresh-request", c, { refresh_token: tok.body.refresh_token as string })).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect((await enrollPost(adde, baseUrl, { token: access })).status).toBe(401);

    // Enabled again: the same token works again (nothing was revoked, the rule decides).
    await db().addeRoute.update({ where: { id: routeId }, data: { enabled: true } });
    expect((await device.tokenUpdate()).status).toBe(200);
    // Deleted: refused again.
    expect(await deleteRoute(routeId)).toBe(true);
    expect((await device.tokenUpdate()).status).toBe(401);
    expect(await loggedCount({ reason: "adde_route_removed" })).toBeGreaterThanOrEqual(4);
  });
});
