// Hostile input on every public route handler: garbage bodies, broken encodings, oversized
// query values, wrong methods' payloads. Whatever the answer, it is never a 500 and never
// echoes a stack trace.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";

let t: TestDb;
let server: RouteServer;

beforeAll(async () => {
  t = await createTestDb();
  server = await serveRouteImports({
    "/.well-known/com.apple.remotemanagement": import("@/app/.well-known/com.apple.remotemanagement/route"),
    "/esso": import("@/app/esso/route"),
    "/ca.pem": import("@/app/ca.pem/route"),
    "/ca": import("@/app/ca/route"),
    "/ndes/[id]": import("@/app/ndes/[id]/route"),
    "/adde/[mode]": import("@/app/adde/[mode]/route"),
    "/authenticate/start": import("@/app/authenticate/start/route"),
    "/authenticate/callback": import("@/app/authenticate/callback/route"),
    "/authenticate/local": import("@/app/authenticate/local/route"),
    "/mdm/checkin": import("@/app/mdm/checkin/route"),
    "/mdm/connect": import("@/app/mdm/connect/route"),
    "/scep/[id]": import("@/app/scep/[id]/route"),
    "/oauth2/authorize": import("@/app/oauth2/authorize/route"),
    "/oauth2/token": import("@/app/oauth2/token/route"),
    "/enroll/profile": import("@/app/enroll/profile/route"),
    "/enroll/device/[binding]": import("@/app/enroll/device/[binding]/route"),
    "/enroll/root-profile": import("@/app/enroll/root-profile/route"),
    "/enroll": import("@/app/enroll/route"),
    "/e/[id]": import("@/app/e/[id]/route"),
    "/branding/logo": import("@/app/branding/logo/route"),
    "/acme/[...path]": import("@/app/acme/[...path]/route"),
  });
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const long = "A".repeat(6000);
const junk = new Uint8Array([0x30, 0x82, 0xff, 0xff, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef]);
const badPlist = '<?xml version="1.0"?><plist><dict><key>MessageType</key><string>Authenticate</string><key>UDID</key><dict><key>x</key></dict></dict></plist>';

const cases: { path: string; method?: string; body?: BodyInit; headers?: Record<string, string> }[] = [
  { path: `/.well-known/com.apple.remotemanagement?user-identifier=${encodeURIComponent(`a@${long}`)}&model-family=%FF` },
  { path: "/esso", method: "POST", body: junk },
  { path: `/esso?x=${long}` },
  { path: "/ca?message=%%%" },
  { path: "/ca.pem" },
  { path: `/ndes/${long}`, headers: { authorization: `Basic ${long}` } },
  { path: "/ndes/x", headers: { authorization: "Basic %%%%" } },
  { path: "/adde/mdm-adde", method: "POST", body: junk, headers: { authorization: `Bearer ${long}`, "content-type": "application/json" } },
  { path: "/adde/nope", headers: { authorization: "Bearer e30.e30.e30" } },
  { path: "/authenticate/start", method: "POST", body: `identifier=${long}&mode=%ZZ&flow=${long}`, headers: { "content-type": "application/x-www-form-urlencoded" } },
  { path: "/authenticate/start", method: "POST", body: junk, headers: { "content-type": "multipart/form-data; boundary=x" } },
  { path: `/authenticate/callback?code=${long}&state=${long}` },
  { path: "/authenticate/callback?error=%FF" },
  { path: "/authenticate/local", method: "POST", body: `identifier=a%40b.c&password=${long}&mode=mdm-adde`, headers: { "content-type": "application/x-www-form-urlencoded" } },
  { path: "/authenticate/local", method: "POST", body: "{}", headers: { "content-type": "application/json" } },
  { path: "/mdm/checkin", method: "PUT", body: badPlist, headers: { "mdm-signature": long } },
  { path: "/mdm/checkin", method: "PUT", body: junk, headers: { "mdm-signature": "%%%" } },
  { path: "/mdm/connect", method: "PUT", body: "<plist><dict><key>Status</key><integer>x</integer></dict></plist>", headers: { "mdm-signature": "AAAA" } },
  { path: "/scep/x?operation=PKIOperation&message=%%%" },
  { path: "/scep/x?operation=PKIOperation", method: "POST", body: junk },
  { path: `/scep/x?operation=GetCACert&message=${long}` },
  { path: `/oauth2/authorize?client_id=${long}&redirect_uri=javascript:alert(1)&response_type=code&code_challenge=%FF` },
  { path: "/oauth2/token", method: "POST", body: `grant_type=authorization_code&code=${long}&code_verifier=%ZZ`, headers: { "content-type": "application/x-www-form-urlencoded" } },
  { path: "/oauth2/token", method: "POST", body: junk, headers: { "content-type": "application/json" } },
  { path: `/enroll/profile?token=${long}` },
  { path: `/enroll/device/${long}`, method: "POST", body: junk, headers: { "content-type": "application/pkcs7-signature" } },
  { path: "/enroll/device/cabcdefghijklmnopqrstuvw", method: "POST", body: junk },
  { path: "/enroll/device/x", method: "POST", body: new Uint8Array(200_000).fill(0x30) },
  { path: "/enroll/profile?token=eyJhbGciOiJub25lIn0.eyJ4IjoxfQ." },
  { path: `/enroll?token=${long}&platform=%3Cscript%3E`, headers: { "accept-language": `${long};q=%%,de;q=2`, "accept-encoding": `${long};q=x`, "user-agent": long } },
  { path: "/enroll?token=%FF%FE", headers: { "accept-language": "*;q=0" } },
  { path: `/e/${long}` },
  { path: "/e/%FF%FE%00" },
  { path: "/e/'%20OR%201=1" },
  { path: "/branding/logo?v=%%%" },
  { path: "/enroll/root-profile" },
  { path: "/acme/new-order", method: "POST", body: junk, headers: { "content-type": "application/jose+json" } },
  { path: "/acme/new-account", method: "POST", body: `{"protected":"${long}","payload":"","signature":""}`, headers: { "content-type": "application/jose+json" } },
  { path: `/acme/order/${long}/finalize`, method: "POST", body: "{}", headers: { "content-type": "application/jose+json" } },
  { path: "/acme/chall/%FF%FE", method: "POST", body: "{}", headers: { "content-type": "application/jose+json" } },
  { path: `/acme/${long}` },
];

describe("public routes under hostile input", () => {
  for (const c of cases) {
    it(`${c.method ?? "GET"} ${c.path.slice(0, 80)}`, async () => {
      const res = await fetch(`${server.url}${c.path}`, { method: c.method ?? "GET", body: c.body, headers: c.headers, redirect: "manual" });
      const text = await res.text();
      expect(res.status, text.slice(0, 300)).toBeLessThan(500);
      expect(text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
    });
  }
});
