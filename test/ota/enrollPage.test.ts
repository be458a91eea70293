// The enroll page over real HTTP (the route handlers the app ships): server-rendered HTML
// with no script, the token in a plain form, steps for the visitor's device, a plain-link
// platform switch, Brotli, the visitor's language, branding (name, support, logo) on the
// page, the error pages and in the signed profile, short links, and the root profile offer.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { parse as parsePlist } from "plist";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";
import { authResultResponse } from "@/app/_lib/enrollPages";
import { createEnrollmentToken, revokeEnrollmentToken } from "@/lib/enrollment/tokens";
import { getCa } from "@/lib/pki/ca";
import { updateBranding } from "@/lib/settings/branding";
import { LOGO_MAX_BYTES, removeBrandingLogo, setBrandingLogo } from "@/lib/settings/brandingLogo";
import { opensslVerify } from "./openssl";

const IPHONE_SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";
const IPHONE_CHROME = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/137.0.7151.79 Mobile/15E148 Safari/604.1";
const IPHONE_WEBVIEW = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
const MAC_SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15";
const ANDROID = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36";
const WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36 Edg/137.0.0.0";

let t: TestDb;
let server: RouteServer;
let dir: string;

beforeAll(async () => {
  t = await createTestDb();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "enroll-page-"));
  server = await serveRouteImports({
    "/enroll/profile": import("@/app/enroll/profile/route"),
    "/enroll/root-profile": import("@/app/enroll/root-profile/route"),
    "/enroll": import("@/app/enroll/route"),
    "/e/[id]": import("@/app/e/[id]/route"),
    "/branding/logo": import("@/app/branding/logo/route"),
  });
});
afterAll(async () => {
  await server.close();
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A raw GET (no automatic decompression), so the test sees the bytes on the wire. */
function rawGet(pathAndQuery: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${server.url}${pathAndQuery}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on("error", reject);
  });
}

async function page(pathAndQuery: string, opts: { ua?: string; lang?: string } = {}): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await fetch(`${server.url}${pathAndQuery}`, { headers: { "user-agent": opts.ua ?? IPHONE_SAFARI, "accept-language": opts.lang ?? "en-US,en;q=0.9" } });
  return { status: res.status, html: await res.text(), headers: res.headers };
}

/** The value of the one hidden token field, read the way a browser would submit it. */
function formToken(html: string): string | null {
  const form = /<form method="post" action="\/enroll\/profile">([\s\S]*?)<\/form>/.exec(html);
  const input = form && /<input type="hidden" name="token" value="([^"]*)">/.exec(form[1]);
  return input ? input[1].replace(/&amp;/g, "&") : null;
}

function shortIdOf(shortUrl: string): string {
  return new URL(shortUrl).pathname.split("/").pop()!;
}

describe("enroll page", () => {
  it("is server-rendered HTML without script: the token in a plain form, iOS steps for an iPhone, a plain-link switch", async () => {
    const { jwt } = await createEnrollmentToken({ name: "Phones", expiresIn: "7d" });
    const { status, html, headers } = await page(`/enroll?token=${jwt}`);
    expect(status).toBe(200);
    expect(headers.get("content-type")).toMatch(/^text\/html/);
    expect(html).not.toMatch(/<script/i);
    expect(headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    expect(formToken(html)).toBe(jwt);
    expect(html).toContain("Settings › General › VPN &amp; Device Management");
    // The switch is two links; the current platform is marked.
    expect(html).toMatch(/<a href="[^"]*platform=ios" aria-current="page">iPhone \/ iPad<\/a>/);
    expect(html).toMatch(/<a href="[^"]*platform=macos">Mac<\/a>/);

    // Following the Mac link shows the Mac steps (macOS 14, 15, 26: General › Device Management).
    const mac = await page(`/enroll?token=${jwt}&platform=macos`);
    expect(mac.html).toContain("System Settings › General › Device Management");
    expect(mac.html).toContain("System Settings does not open by itself");
    expect(mac.html).toMatch(/platform=macos" aria-current="page"/);
  });

  it("picks steps and advice by device: Mac, iOS Chrome and in-app views (open in Safari, link to copy), Android and Windows", async () => {
    const { jwt, shortUrl } = await createEnrollmentToken({ name: "Mixed", expiresIn: "7d" });
    expect((await page(`/enroll?token=${jwt}`, { ua: MAC_SAFARI })).html).toContain("Mac (macOS 14, 15 and 26)");
    for (const ua of [IPHONE_CHROME, IPHONE_WEBVIEW]) {
      const { html } = await page(`/e/${shortIdOf(shortUrl)}`, { ua });
      expect(html).toContain("Open this link in Safari");
      // No script needed to copy: a read-only field holding the short link.
      expect(html).toContain(`<input id="copy-link" readonly value="${shortUrl}"`);
    }
    expect((await page(`/enroll?token=${jwt}`)).html).not.toContain("Open this link in Safari");
    for (const ua of [ANDROID, WINDOWS]) expect((await page(`/enroll?token=${jwt}`, { ua })).html).toContain("This link is for Apple devices");
  });

  it("follows Accept-Language (German, French, Spanish, Japanese; English otherwise)", async () => {
    const { jwt } = await createEnrollmentToken({ name: "Sprachen", expiresIn: "7d" });
    const de = await page(`/enroll?token=${jwt}`, { lang: "de-DE,de;q=0.9,en;q=0.8" });
    expect(de.html).toContain('<html lang="de">');
    expect(de.html).toContain("<h1>Gerät registrieren</h1>");
    expect(de.html).toContain("Profil laden");
    expect((await page(`/enroll?token=${jwt}`, { lang: "fr-CA" })).html).toContain("Télécharger le profil");
    expect((await page(`/enroll?token=${jwt}`, { lang: "es" })).html).toContain("Descargar perfil");
    expect((await page(`/enroll?token=${jwt}`, { lang: "ja-JP" })).html).toContain("プロファイルをダウンロード");
    expect((await page(`/enroll?token=${jwt}`, { lang: "nl, de;q=0.1" })).html).toContain('<html lang="de">');
    expect((await page(`/enroll?token=${jwt}`, { lang: "nl" })).html).toContain('<html lang="en">');
    // Error pages too.
    const expired = await page(`/enroll?token=${jwt.slice(0, -10)}`, { lang: "de" });
    expect(expired.html).toContain("Dieser Link ist unvollständig");
  });

  it("serves Brotli when accepted, gzip otherwise", async () => {
    const { jwt } = await createEnrollmentToken({ name: "Zip", expiresIn: "7d" });
    const br = await rawGet(`/enroll?token=${jwt}`, { "accept-encoding": "gzip, deflate, br", "user-agent": IPHONE_SAFARI });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers.vary).toMatch(/Accept-Encoding/i);
    expect(formToken(zlib.brotliDecompressSync(br.body).toString("utf8"))).toBe(jwt);
    const gz = await rawGet(`/enroll?token=${jwt}`, { "accept-encoding": "gzip", "user-agent": IPHONE_SAFARI });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(formToken(zlib.gunzipSync(gz.body).toString("utf8"))).toBe(jwt);
    const plain = await rawGet(`/enroll?token=${jwt}`, { "accept-encoding": "identity", "user-agent": IPHONE_SAFARI });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(formToken(plain.body.toString("utf8"))).toBe(jwt);
  });

  it("error pages use plain words as titles, with the status and the reason code for IT", async () => {
    const revoked = await createEnrollmentToken({ name: "Gone", expiresIn: "7d" });
    await revokeEnrollmentToken(revoked.id);
    const cases: Array<[string, number, string, string]> = [
      [`/enroll?token=${revoked.jwt}`, 410, "This link has been turned off", "token_revoked"],
      ["/enroll", 400, "No enrollment link", "token_missing"],
      [`/enroll?token=${revoked.jwt.slice(0, -12)}`, 400, "This link is incomplete", "token_malformed"],
      ["/e/zzzzzzzzzzzzzz", 404, "This link no longer exists", "token_unknown"],
      ["/e/%3Cscript%3E", 404, "This link no longer exists", "token_unknown"],
    ];
    for (const [url, status, title, reason] of cases) {
      const res = await page(url);
      expect(res.status, url).toBe(status);
      expect(res.html, url).toContain(`<h1>${title}</h1>`);
      expect(res.html, url).toContain(`reason: <code>${reason}</code>`);
      expect(res.html, url).not.toContain("<script");
      expect(res.html, url).not.toContain("Download Profile");
    }
  });

  it("a short link resolves to the same token and checks, and stops working with it", async () => {
    const token = await createEnrollmentToken({ name: "Short", expiresIn: "7d" });
    const id = shortIdOf(token.shortUrl);
    expect(id).toMatch(/^[0-9a-z]{10,16}$/);
    expect(token.shortUrl).toBe(`${process.env.PUBLIC_URL}/e/${id}`);
    const { status, html } = await page(`/e/${id}`);
    expect(status).toBe(200);
    expect(formToken(html)).toBe(token.jwt);
    // The switch keeps the short form.
    expect(html).toContain(`href="${token.shortUrl}?platform=macos"`);
    await revokeEnrollmentToken(token.id);
    const after = await page(`/e/${id}`);
    expect(after.status).toBe(410);
    expect(after.html).toContain("This link has been turned off");
  });
});

describe("branding reaches end users", () => {
  it("the enroll page, error pages and the signed profile show the organisation and its support contact", async () => {
    await updateBranding({ organizationName: "Acme Corp", supportContact: "help@acme.example" });
    const { jwt } = await createEnrollmentToken({ name: "Acme phones", expiresIn: "7d" });
    const ok = await page(`/enroll?token=${jwt}`);
    expect(ok.html).toContain("<span>Acme Corp</span>");
    expect(ok.html).toContain("connect this device to Acme Corp");
    expect(ok.html).toContain('<a href="mailto:help@acme.example">help@acme.example</a>');
    expect(ok.html).not.toContain("Open Enroll");

    const bad = await page(`/enroll?token=${jwt.slice(0, -12)}`);
    expect(bad.html).toContain("<span>Acme Corp</span>");
    expect(bad.html).toContain('<a href="mailto:help@acme.example">help@acme.example</a>');

    // The download's refusal page is branded too.
    const refused = await fetch(`${server.url}/enroll/profile`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "token=" });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("help@acme.example");

    const res = await fetch(`${server.url}/enroll/profile`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token: jwt }).toString() });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain("acme-corp-enrollment.mobileconfig");
    const content = opensslVerify(Buffer.from(await res.arrayBuffer()), (await getCa()).certPem, dir);
    const top = parsePlist(content.toString("utf8")) as Record<string, unknown>;
    expect(top.PayloadDisplayName).toBe("Acme Corp Device Management");
    expect(top.PayloadOrganization).toBe("Acme Corp");
    expect(top.PayloadDescription).toContain("Acme Corp");
    expect(top.PayloadDescription).toContain("help@acme.example");
  });

  it("the account-driven sign-in's refusal pages carry the branding, the support contact and the device's language", async () => {
    await updateBranding({ organizationName: "Acme Corp", supportContact: "+49 30 1234567" });
    const res = await authResultResponse(new Request("https://mdm.example.test/authenticate/start", { headers: { "accept-language": "de-DE" } }), {
      kind: "error",
      status: 403,
      code: "wrong_account",
      vars: { signedIn: "mallory@example.com", enrolling: "pat@example.com" },
    });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('<html lang="de">');
    // The refusal itself in German, with who signed in and who the device enrolls.
    expect(html).toContain("Falscher Account");
    expect(html).toContain("Du hast dich als mallory@example.com angemeldet, aber dieses Gerät registriert pat@example.com.");
    expect(html).not.toContain("Wrong account");
    expect(html).toContain("<span>Acme Corp</span>");
    expect(html).toContain('<a href="tel:+49301234567">+49 30 1234567</a>');
    expect(html).toContain("Schließe dieses Fenster");
    expect(html).not.toMatch(/<script/i);
  });

  it("an uploaded logo (PNG/JPEG/WebP by its bytes, size-limited) is served from our origin and shown", async () => {
    const png = new PNG({ width: 4, height: 4 });
    const bytes = new Uint8Array(PNG.sync.write(png));
    await expect(setBrandingLogo(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'))).rejects.toMatchObject({ status: 400 });
    await expect(setBrandingLogo(new Uint8Array(LOGO_MAX_BYTES + 1).fill(0xff))).rejects.toMatchObject({ status: 400 });
    const logo = await setBrandingLogo(bytes);
    const { jwt } = await createEnrollmentToken({ name: "Logo", expiresIn: "7d" });
    const { html } = await page(`/enroll?token=${jwt}`);
    const src = /<img src="(\/branding\/logo\?v=[0-9a-f]+)"/.exec(html)?.[1];
    expect(src).toBeDefined();
    const res = await fetch(`${server.url}${src}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(logo.bytes))).toBe(true);
    await removeBrandingLogo();
    expect((await fetch(`${server.url}/branding/logo`)).status).toBe(404);
    expect((await page(`/enroll?token=${jwt}`)).html).not.toContain("<img");
  });
});

describe("trust", () => {
  it("explains Not Verified, and offers the signed root certificate profile when the admin says TLS is not publicly trusted", async () => {
    await updateBranding({ organizationName: "Acme Corp", supportContact: "help@acme.example" });
    const { jwt } = await createEnrollmentToken({ name: "Trust", expiresIn: "7d" });
    const before = await page(`/enroll?token=${jwt}`);
    expect(before.html).toContain("“Not Verified”");
    // PUBLIC_URL is https here: no offer unless the setting says so.
    expect(before.html).not.toContain("/enroll/root-profile");
    await updateBranding({ organizationName: "Acme Corp", supportContact: "help@acme.example", offerRootProfile: true });
    const after = await page(`/enroll?token=${jwt}`);
    expect(after.html).toContain('<a href="/enroll/root-profile" download>Download the root certificate profile</a>');

    const res = await fetch(`${server.url}/enroll/root-profile`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-apple-aspen-config");
    const ca = await getCa();
    const content = opensslVerify(Buffer.from(await res.arrayBuffer()), ca.certPem, dir);
    const top = parsePlist(content.toString("utf8")) as { PayloadContent: Array<Record<string, unknown>>; PayloadOrganization: string };
    expect(top.PayloadOrganization).toBe("Acme Corp");
    expect(top.PayloadContent.map((p) => p.PayloadType)).toEqual(["com.apple.security.root"]);
    // The payload is exactly the CA's root, as OpenSSL reads it.
    const der = Buffer.from(top.PayloadContent[0].PayloadContent as Uint8Array);
    expect(der.equals(Buffer.from(ca.rootDer))).toBe(true);
    fs.writeFileSync(path.join(dir, "root.der"), der);
    const text = execFileSync("openssl", ["x509", "-inform", "DER", "-in", path.join(dir, "root.der"), "-noout", "-ext", "basicConstraints"], { encoding: "utf8" });
    expect(text).toContain("CA:TRUE");
  });
});
