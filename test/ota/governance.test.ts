// Enrollment governance on OTA links, through the shipped handlers (download, SCEP,
// check-in): a per-person link names its person on the page and on the device; the
// per-user device limit refuses the next enrollment with a page, a device status and a log
// line with the fix; terms must be accepted (the current version) and the acceptance is
// recorded on the device.
import crypto from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loggedCount } from "@/test/helpers/logCount";
import { config } from "@/lib/config";
import { setDeviceLimitSetting } from "@/lib/enrollment/deviceLimit";
import { checkEnrollmentLink } from "@/lib/enrollment/otaService";
import { parseTerms } from "@/lib/enrollment/terms";
import { createEnrollmentToken, parseTokenInput } from "@/lib/enrollment/tokens";
import { REASONS } from "@/lib/log/reasons";
import { getDeviceDetail } from "@/lib/inventory/deviceDetail";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { serveOtaEnrollment } from "@/test/mdm/helpers";
import { SimDevice } from "@/test/sim/device";
import { EnrollBrowser } from "./browser";

let t: TestDb;
let server: RouteServer;

beforeAll(async () => {
  t = await createTestDb();
  server = await serveOtaEnrollment();
});
afterAll(async () => {
  await server.close();
  await t.close();
});
afterEach(async () => {
  await setDeviceLimitSetting(0);
});

const sim = () => {
  const publicUrl = config().publicUrl;
  return new SimDevice({ rewriteUrl: (u) => u.replace(publicUrl, server.url) });
};
const browser = () => new EnrollBrowser(() => server.url);
const IPHONE_SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";

async function enrollWith(jwt: string, fields: Record<string, string> = {}): Promise<SimDevice> {
  const res = await browser().tapDownload(jwt, fields);
  if (res.status !== 200) throw new Error(`download answered ${res.status}`);
  const d = sim();
  await d.installDownloadedProfile(new Uint8Array(await res.arrayBuffer()));
  await d.enrollMdm();
  return d;
}

describe("per-person links and the per-user device limit", { timeout: 240_000 }, () => {
  it("a limit of 2 refuses the third enrollment of one person: at download, and at Authenticate for a profile fetched earlier", async () => {
    const { id, jwt } = await createEnrollmentToken({ name: "Jane's devices", expiresIn: "7d", personEmail: "Jane@Example.com", deviceLimit: 2 });
    const page = await checkEnrollmentLink(jwt);
    expect(page).toMatchObject({ ok: true, personEmail: "jane@example.com" });

    // A third profile fetched while Jane still had room.
    const early = await browser().tapDownload(jwt);
    expect(early.status).toBe(200);
    const earlyProfile = new Uint8Array(await early.arrayBuffer());

    const a = await enrollWith(jwt);
    const b = await enrollWith(jwt);
    for (const d of [a, b]) expect(await t.client.device.findUniqueOrThrow({ where: { identifier: d.udid } })).toMatchObject({ personEmail: "jane@example.com", tokenId: id });
    expect((await getDeviceDetail(a.udid)).personEmail).toBe("jane@example.com");

    // Third download: a page saying why, 403, and a log line with the fix.
    const refused = await browser().tapDownload(jwt);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(REASONS.device_limit_reached.userMessage);
    const line = await t.client.enrollmentLog.findFirstOrThrow({ where: { tokenId: id, reason: "device_limit_reached" } });
    expect(line).toMatchObject({ step: "ota.profile", outcome: "ERROR" });
    expect(line.message).toMatch(/jane@example\.com already has 2 active enrollment\(s\), the limit \(token "Jane's devices"\) is 2.*Fix: remove or unenroll/);

    // The earlier profile on a third device: its Authenticate is refused (401), nothing enrolled.
    const c = sim();
    await c.installDownloadedProfile(earlyProfile);
    expect((await c.authenticate()).status).toBe(401);
    expect(await t.client.device.findUnique({ where: { identifier: c.udid } })).toBeNull();
    expect(await t.client.enrollmentLog.findFirst({ where: { deviceIdentifier: c.udid, reason: "device_limit_reached" } })).toMatchObject({ step: "checkin", outcome: "ERROR" });

    // One of Jane's devices checks out: its slot is free again.
    expect((await b.checkOut()).status).toBe(200);
    const d = await enrollWith(jwt);
    expect(await t.client.device.findUniqueOrThrow({ where: { identifier: d.udid } })).toMatchObject({ personEmail: "jane@example.com" });
  });

  it("the organisation setting applies when the link sets no limit; 0 on the link lifts it", async () => {
    await setDeviceLimitSetting(1);
    const limited = await createEnrollmentToken({ name: "Sam", expiresIn: "7d", personEmail: "sam@example.com" });
    await enrollWith(limited.jwt);
    const refused = await browser().tapDownload(limited.jwt);
    expect(refused.status).toBe(403);
    const line = await t.client.enrollmentLog.findFirstOrThrow({ where: { tokenId: limited.id, reason: "device_limit_reached" } });
    expect(line.message).toMatch(/the limit \(Settings › Enrollment\) is 1/);

    const unlimited = await createEnrollmentToken({ name: "Sam, no limit", expiresIn: "7d", personEmail: "sam@example.com", deviceLimit: 0 });
    await enrollWith(unlimited.jwt);
    expect(await t.client.device.count({ where: { personEmail: "sam@example.com" } })).toBe(2);
  });

  it("validates the governance input", () => {
    expect(() => parseTokenInput({ name: "x", expiresIn: "7d", personEmail: "not an email" })).toThrow(/personEmail/);
    expect(() => parseTokenInput({ name: "x", expiresIn: "7d", deviceLimit: -1 })).toThrow(/deviceLimit/);
    expect(parseTokenInput({ name: "x", expiresIn: "7d", personEmail: " Ann@Example.COM ", deviceLimit: 15, terms: "  Be nice.\r\n" })).toMatchObject({
      personEmail: "ann@example.com",
      deviceLimit: 15,
      terms: "Be nice.",
    });
  });
});

describe("terms to accept", () => {
  const TERMS = "# Acceptable use\n\nThis device is managed by **Acme**. <script>alert(1)</script>\n\n- We can erase it\n- See [policy](https://acme.example/policy) or [bad](javascript:alert(1))";
  const version = crypto.createHash("sha256").update(TERMS).digest("hex");

  it("the download needs the current version accepted; the acceptance is recorded on the device", async () => {
    const { id, jwt } = await createEnrollmentToken({ name: "With terms", expiresIn: "7d", terms: TERMS, personEmail: "lee@example.com" });
    const page = await checkEnrollmentLink(jwt);
    expect(page.ok && page.terms?.version).toBe(version);

    for (const fields of [{}, { acceptTerms: "0".repeat(64) }] as Record<string, string>[]) {
      const res = await browser().tapDownload(jwt, fields);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain(REASONS.terms_not_accepted.userMessage);
    }
    expect(await loggedCount({ tokenId: id, reason: "terms_not_accepted" })).toBe(2);
    expect((await t.client.enrollmentToken.findUniqueOrThrow({ where: { id } })).claimedCount).toBe(0);

    const before = new Date();
    const d = await enrollWith(jwt, { acceptTerms: version });
    const row = await t.client.device.findUniqueOrThrow({ where: { identifier: d.udid } });
    expect(row).toMatchObject({ termsHash: version, termsAcceptedBy: "lee@example.com" });
    expect(row.termsAcceptedAt!.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    expect((await getDeviceDetail(d.udid)).terms).toEqual({ version, acceptedAt: row.termsAcceptedAt, acceptedBy: "lee@example.com" });
  });

  it("the no-script enroll page shows the person and the terms as escaped HTML, with a required box in the download form", async () => {
    const { jwt, shortUrl } = await createEnrollmentToken({ name: "Page with terms", expiresIn: "7d", terms: TERMS, personEmail: "lee@example.com" });
    const page = async (path: string, lang = "en") => {
      const res = await fetch(`${server.url}${path}`, { headers: { "accept-language": lang, "user-agent": IPHONE_SAFARI } });
      expect(res.status).toBe(200);
      return res.text();
    };
    for (const path of [`/enroll?token=${jwt}`, new URL(shortUrl).pathname]) {
      const html = await page(path);
      expect(html).not.toMatch(/<script/i);
      expect(html).toContain("This link is for <strong>lee@example.com</strong>.");
      expect(html).toContain("<h3>Acceptable use</h3>");
      expect(html).toContain("This device is managed by <strong>Acme</strong>. &lt;script&gt;alert(1)&lt;/script&gt;");
      expect(html).toContain('<a href="https://acme.example/policy" rel="noopener noreferrer" target="_blank">policy</a>');
      expect(html).toContain("[bad](javascript:alert(1))");
      expect(html).not.toContain('href="javascript:');
      // The box is a field of the form that posts the token, and the browser requires it.
      const form = /<form method="post" action="\/enroll\/profile">(.*?)<\/form>/s.exec(html)?.[1] ?? "";
      expect(form).toContain(`<input type="checkbox" name="acceptTerms" value="${version}" required>`);
      expect(form).toContain("I have read and accept these terms");
    }
    const de = await page(`/enroll?token=${jwt}`, "de-DE");
    expect(de).toContain("Dieser Link ist für <strong>lee@example.com</strong>.");
    expect(de).toContain("Ich habe diese Nutzungsbedingungen gelesen und akzeptiere sie");

    const refused = await browser().tapDownload(jwt, {});
    expect(refused.status).toBe(403);
    expect(refused.headers.get("set-cookie")).toBeNull();
    expect(await refused.text()).toContain("Accept the terms first");
    const served = await browser().tapDownload(jwt, { acceptTerms: version });
    expect(served.status).toBe(200);
    expect(served.headers.get("set-cookie")).toMatch(/^oe_dl_[^=]+=[^;]+; Path=\/enroll; Max-Age=\d+; HttpOnly; SameSite=Lax/);
  });

  it("renders a Markdown subset as data: markup stays text, only http(s)/mailto links", () => {
    const blocks = parseTerms(TERMS);
    expect(blocks[0]).toEqual({ kind: "heading", level: 1, inlines: [{ text: "Acceptable use" }] });
    expect(blocks[1]).toEqual({ kind: "paragraph", inlines: [{ text: "This device is managed by " }, { text: "Acme", bold: true }, { text: ". <script>alert(1)</script>" }] });
    expect(blocks[2]).toMatchObject({ kind: "list", ordered: false });
    const items = blocks[2].kind === "list" ? blocks[2].items : [];
    expect(items[0]).toEqual([{ text: "We can erase it" }]);
    // The https link is a link; the javascript: one stays text.
    expect(items[1].filter((i) => i.href)).toEqual([{ text: "policy", href: "https://acme.example/policy" }]);
    expect(items[1].map((i) => i.text).join("")).toBe("See policy or [bad](javascript:alert(1))");
  });
});
