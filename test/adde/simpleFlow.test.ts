// Seed 003 step by step with the simple (apple-as-web) method, over real HTTP against the
// route handlers: discovery, first POST, 401 challenge, sign-in (local-user fallback here;
// the IdP leg is in idpFlow.test.ts), 308 with the access token, second POST → signed
// profile that passes Apple's schemas. Plus every refusal: status, log line, never a 500.
import { parse as parsePlist } from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { config } from "@/lib/config";
import { db } from "@/lib/db/client";
import { issueAccessToken, revokeUserTokens, verifyAccessToken } from "@/lib/enrollment/accessTokens";
import { signInPage } from "@/lib/enrollment/userSignIn";
import { putUser } from "@/lib/enrollment/users";
import { createRoute } from "@/lib/enrollment/routes";
import { verifySignedData } from "@/lib/pki/cms";
import { validateProfile } from "@/lib/profiles/appleSchema";
import { createTestDb, type TestDb } from "../helpers/db";
import type { RouteServer } from "../helpers/routeServer";
import { discover, ENROLL_BODY, enrollPost, form, local, parseBearerChallenge, startAddeServer, tokenFromResultLocation } from "./deviceClient";
import { setupScep } from "./scepSetup";

let t: TestDb;
let server: RouteServer;
let scepProfileId: string;

beforeAll(async () => {
  t = await createTestDb();
  server = await startAddeServer();
  scepProfileId = await setupScep();
  await createRoute({ domain: "example.com", userMatch: "dev-*@example.com", version: "mdm-adde", position: 1 });
  await createRoute({ domain: "example.com", version: "mdm-byod", position: 2 });
  await putUser("alice@example.com", { managedAppleId: "alice@appleid.example.com", password: "alice-password-1" });
  await putUser("dev-bob@example.com", { password: "bob-password-12" });
});

afterAll(async () => {
  await server?.close();
  await t?.close();
});

async function logLines(where: { step?: string; reason?: string; userIdentifier?: string }) {
  return db().enrollmentLog.findMany({ where, orderBy: { time: "asc" } });
}

type Dict = Record<string, unknown>;

/** Seed 003 steps 2-12 for one identifier; returns the profile response and what was seen on the way. */
async function enrollLikeADevice(identifier: string, password: string) {
  // Steps 2-3: the well-known request.
  const d = await discover(server, identifier);
  expect(d.status).toBe(200);
  expect(d.headers.get("content-type")).toMatch(/^application\/json/);
  const doc = (await d.json()) as { Servers: { Version: string; BaseURL: string }[] };
  expect(doc.Servers).toHaveLength(1);
  const { Version, BaseURL } = doc.Servers[0];

  // Steps 4-5: first POST, 401 with the challenge.
  const first = await enrollPost(server, BaseURL);
  expect(first.status).toBe(401);
  const challenge = parseBearerChallenge(first.headers.get("www-authenticate"));
  expect(challenge?.method).toBe("apple-as-web");
  expect(challenge?.url).toMatch(/^https:\/\//);

  // Steps 6-10: the client adds user-identifier and opens the page; the person signs in.
  const authUrl = new URL(challenge!.url);
  authUrl.searchParams.set("user-identifier", identifier);
  const mode = authUrl.pathname.split("/").pop()!;
  const page = await signInPage({ identifier: authUrl.searchParams.get("user-identifier"), mode, flow: null, error: null });
  expect(page.ok).toBe(true);
  if (!page.ok) throw new Error("page");
  expect(page.identifier).toBe(identifier);
  expect(page.localSignIn).toBe(true);
  const signIn = await fetch(`${server.url}/authenticate/local`, form({ identifier: page.identifier!, mode: page.mode, password }));

  // Step 11: 308 to the callback scheme with the token.
  expect(signIn.status).toBe(308);
  const token = tokenFromResultLocation(signIn.headers.get("location"));

  // Step 12: the same body again, with the bearer token.
  const second = await enrollPost(server, BaseURL, { token });
  return { Version, BaseURL, token, second };
}

async function profileOf(res: Response): Promise<{ top: Dict; mdm: Dict; scep: Dict }> {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/x-apple-aspen-config");
  const signed = new Uint8Array(await res.arrayBuffer());
  const { content } = await verifySignedData(signed);
  const top = parsePlist(new TextDecoder().decode(content)) as Dict;
  const payloads = top.PayloadContent as Dict[];
  return { top, mdm: payloads.find((p) => p.PayloadType === "com.apple.mdm")!, scep: payloads.find((p) => p.PayloadType === "com.apple.security.scep")! };
}

describe("simple method, user enrollment (mdm-byod)", () => {
  it("ends in a signed BYOD profile with the mapped Managed Apple Account and no AccessRights", async () => {
    const r = await enrollLikeADevice("Alice@Example.com".toLowerCase(), "alice-password-1");
    expect(r.Version).toBe("mdm-byod");
    expect(r.BaseURL).toBe("https://mdm.example.test/adde/byod");
    const { top, mdm, scep } = await profileOf(r.second);
    expect(validateProfile(top, { os: "iOS", userEnrollment: true })).toEqual([]);
    expect(mdm.EnrollmentMode).toBe("BYOD");
    expect(mdm.AssignedManagedAppleID).toBe("alice@appleid.example.com");
    expect(mdm).not.toHaveProperty("AccessRights");
    // The URLs carry the signed reference to this enroll request (PRODUCT/VERSION kept server-side).
    expect(mdm.ServerURL).toMatch(/^https:\/\/mdm\.example\.test\/mdm\/connect\?e=a\.[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{22}$/);
    expect(mdm.CheckInURL).toMatch(/^https:\/\/mdm\.example\.test\/mdm\/checkin\?e=a\.[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{22}$/);
    // A fresh one-time challenge bound to the user, for the SCEP exchange that follows.
    const challenge = (scep.PayloadContent as Dict).Challenge as string;
    expect(challenge.length).toBeGreaterThan(8);
    const user = await db().user.findUniqueOrThrow({ where: { identifier: "alice@example.com" } });
    const row = await db().scepChallenge.findFirst({ where: { userId: user.id, usedAt: null } });
    expect(row?.profileId).toBe(scepProfileId);
    expect((scep.PayloadContent as Dict).URL).toBe(`https://mdm.example.test/scep/${scepProfileId}`);

    const steps = (await logLines({ userIdentifier: "alice@example.com" })).map((l) => `${l.step}:${l.outcome}`);
    expect(steps).toEqual(expect.arrayContaining(["adde.discovery:OK", "adde.signin:OK", "adde.token:OK", "adde.profile:OK"]));
    expect((await logLines({ step: "adde.enroll" })).some((l) => l.message.includes("first enrollment attempt") && l.message.includes("iPhone17,2"))).toBe(true);
  });
});

describe("simple method, device enrollment (mdm-adde)", () => {
  it("routes by user rule to ADDE and serves a profile with AccessRights and the identifier as Managed Apple Account", async () => {
    const r = await enrollLikeADevice("dev-bob@example.com", "bob-password-12");
    expect(r.Version).toBe("mdm-adde");
    expect(r.BaseURL).toBe("https://mdm.example.test/adde/adde");
    const { top, mdm } = await profileOf(r.second);
    expect(validateProfile(top, { os: "iOS", userEnrollment: false })).toEqual([]);
    expect(mdm.EnrollmentMode).toBe("ADDE");
    // No mapping: a federated account, the same as the identifier.
    expect(mdm.AssignedManagedAppleID).toBe("dev-bob@example.com");
    expect(mdm.AccessRights).toBe(8191);
  });

  it("refuses a BYOD token at the ADDE endpoint with 403", async () => {
    const alice = await db().user.findUniqueOrThrow({ where: { identifier: "alice@example.com" } });
    const token = await issueAccessToken(alice.id, "mdm-byod");
    const res = await enrollPost(server, "https://mdm.example.test/adde/adde", { token });
    expect(res.status).toBe(403);
    expect((await logLines({ reason: "adde_version_mismatch" })).length).toBeGreaterThan(0);
  });
});

describe("service discovery refusals", () => {
  it("answers an identifier without a domain with 400 and Apple's well-known failed document", async () => {
    for (const bad of ["alice", "alice@", "alice@localhost", "@example.com", ""]) {
      const res = await discover(server, bad);
      expect(res.status, bad).toBe(400);
      const body = (await res.json()) as Dict;
      expect(body.code).toBe("com.apple.well-known.failed");
      expect(typeof body.message).toBe("string");
    }
    const none = await fetch(`${server.url}/.well-known/com.apple.remotemanagement`);
    expect(none.status).toBe(400);
    expect((await logLines({ reason: "discovery_bad_identifier" })).length).toBeGreaterThanOrEqual(6);
  });

  it("answers an unknown domain with 403 and the well-known failed document, and logs the miss", async () => {
    const res = await discover(server, "carol@unknown.example.org");
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ code: "com.apple.well-known.failed" });
    const miss = await logLines({ reason: "discovery_unknown_domain", userIdentifier: "carol@unknown.example.org" });
    expect(miss).toHaveLength(1);
  });
});

describe("enroll endpoint refusals", () => {
  const base = "https://mdm.example.test/adde/byod";

  it("answers malformed bodies with 400 and a log line", async () => {
    const bodies: (string | Uint8Array)[] = [
      "",
      "not a plist",
      "<plist><array/></plist>",
      ENROLL_BODY.replace("<key>PRODUCT</key>", "<key>NOTPRODUCT</key>"),
      '<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY x "y">]><plist><dict/></plist>',
      new Uint8Array([0x30, 0x82, 0x01, 0x00, 0x01, 0x02]),
    ];
    for (const body of bodies) {
      const res = await enrollPost(server, base, { body });
      expect(res.status).toBe(400);
    }
    expect((await logLines({ reason: "adde_bad_request" })).length).toBeGreaterThanOrEqual(bodies.length);
  });

  it("refuses an oversized body with 413", async () => {
    const res = await enrollPost(server, base, { body: "x".repeat(70 * 1024) });
    expect(res.status).toBe(413);
  });

  it("answers missing, malformed, foreign, expired and revoked tokens with 401 and the challenge", async () => {
    const alice = await db().user.findUniqueOrThrow({ where: { identifier: "alice@example.com" } });
    const expired = await issueAccessToken(alice.id, "mdm-byod", { ttlSeconds: -5 });
    const cases: [string, string][] = [
      ["Basic YWxpY2U6c2VjcmV0", "access_token_malformed"],
      ["Bearer", "access_token_malformed"],
      ["Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "access_token_malformed"],
      ["Bearer ada_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "access_token_invalid"],
      [`Bearer ${expired}`, "access_token_expired"],
    ];
    for (const [authorization, reason] of cases) {
      const res = await enrollPost(server, base, { authorization });
      expect(res.status, authorization).toBe(401);
      expect(parseBearerChallenge(res.headers.get("www-authenticate"))?.method).toBe("apple-as-web");
      expect((await logLines({ reason })).length, reason).toBeGreaterThan(0);
    }
  });

  it("stops accepting a user's tokens after an admin revokes them", async () => {
    const alice = await db().user.findUniqueOrThrow({ where: { identifier: "alice@example.com" } });
    const token = await issueAccessToken(alice.id, "mdm-byod");
    expect((await verifyAccessToken(token)).ok).toBe(true);
    await revokeUserTokens("alice@example.com");
    const res = await enrollPost(server, base, { token });
    expect(res.status).toBe(401);
    expect((await logLines({ step: "adde.enroll", reason: "tokens_revoked_by_admin" })).length).toBe(1);
  });

  it("answers unknown enrollment modes with 404", async () => {
    const res = await fetch(local(server, "https://mdm.example.test/adde/other"), { method: "POST", body: ENROLL_BODY });
    expect(res.status).toBe(404);
  });
});

describe("local sign-in refusals", () => {
  it("sends a wrong password back to the page with an error and logs it; no token", async () => {
    const res = await fetch(`${server.url}/authenticate/local`, form({ identifier: "dev-bob@example.com", mode: "adde", password: "wrong-password" }));
    expect(res.status).toBe(303);
    const loc = new URL(res.headers.get("location")!);
    expect(loc.pathname).toBe("/authenticate/adde");
    expect(loc.searchParams.get("error")).toBe("invalid_credentials");
    expect(loc.searchParams.get("user-identifier")).toBe("dev-bob@example.com");
    const lines = await logLines({ step: "adde.signin", reason: "auth_failed", userIdentifier: "dev-bob@example.com" });
    expect(lines.some((l) => l.message.includes("wrong password"))).toBe(true);
  });

  it("refuses users without a local password, unknown modes, and non-form bodies", async () => {
    const noPw = await fetch(`${server.url}/authenticate/local`, form({ identifier: "nobody@example.com", mode: "byod", password: "whatever-123" }));
    expect(noPw.status).toBe(303);
    const badMode = await fetch(`${server.url}/authenticate/local`, form({ identifier: "alice@example.com", mode: "other", password: "alice-password-1" }));
    expect(badMode.status).toBe(400);
    const json = await fetch(`${server.url}/authenticate/local`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(json.status).toBe(415);
  });

  it("locks local sign-in for an identifier after 10 failures in 15 minutes, even with the right password", async () => {
    await putUser("lock@example.com", { password: "lock-password-1" });
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${server.url}/authenticate/local`, form({ identifier: "lock@example.com", mode: "byod", password: `wrong-${i}` }));
      expect(new URL(res.headers.get("location")!).searchParams.get("error")).toBe("invalid_credentials");
    }
    const res = await fetch(`${server.url}/authenticate/local`, form({ identifier: "lock@example.com", mode: "byod", password: "lock-password-1" }));
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get("location")!).searchParams.get("error")).toBe("too_many_attempts");
    const lines = await logLines({ userIdentifier: "lock@example.com", reason: "auth_failed" });
    expect(lines.at(-1)?.message).toContain("failed attempts");
  });

  it("refuses a signed-in user whose domain no rule covers", async () => {
    await putUser("eve@elsewhere.example.net", { password: "eve-password-1" });
    const res = await fetch(`${server.url}/authenticate/local`, form({ identifier: "eve@elsewhere.example.net", mode: "byod", password: "eve-password-1" }));
    expect(res.status).toBe(403);
    expect(res.headers.get("location")).toBeNull();
  });

  it("refuses a sign-in for an enrollment type no rule gives the user (no token that the next request would refuse)", async () => {
    // alice is routed to user enrollment only; a device enrollment sign-in must not mint a token.
    const res = await fetch(`${server.url}/authenticate/local`, form({ identifier: "alice@example.com", mode: "adde", password: "alice-password-1" }));
    expect(res.status).toBe(403);
    expect(res.headers.get("location")).toBeNull();
    expect((await logLines({ reason: "discovery_unknown_domain", userIdentifier: "alice@example.com" })).at(-1)?.message).toContain("gives it mdm-adde");
  });
});

describe("without an APNs push certificate", () => {
  it("answers the enroll request 503 with the reason instead of a profile with a placeholder topic", async () => {
    const lab = config().allowEnrollWithoutPush;
    config().allowEnrollWithoutPush = false;
    try {
      const d = await discover(server, "alice@example.com");
      const { BaseURL } = ((await d.json()) as { Servers: { BaseURL: string }[] }).Servers[0];
      // Refused before any sign-in: no one should sign in for a profile that cannot work.
      const res = await enrollPost(server, BaseURL);
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/not ready to enroll devices: the administrator must add an APNs certificate/);
      expect((await logLines({ reason: "push_not_configured" })).at(-1)).toMatchObject({ step: "adde.enroll", outcome: "ERROR" });
    } finally {
      config().allowEnrollWithoutPush = lab;
    }
  });
});
