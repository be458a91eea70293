// Uses counted per enrolled device (seed 000: "Max Uses: limit on how many devices can
// enroll"): a download reserves a use, the device's first Authenticate spends it, the same
// browser downloading again reuses its reservation, and a reservation no device enrolls from
// is released when the challenge lifetime passes. Devices enroll through the shipped route
// handlers: profile download, SCEP, check-in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggedCount } from "@/test/helpers/logCount";
import { config } from "@/lib/config";
import { downloadEnrollmentProfile } from "@/lib/enrollment/otaService";
import { RESERVATION_MINUTES } from "@/lib/enrollment/reservations";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";
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

const Browser = class extends EnrollBrowser {
  constructor() {
    super(() => server.url);
  }
};

const sim = () => {
  const publicUrl = config().publicUrl;
  return new SimDevice({ rewriteUrl: (u) => u.replace(publicUrl, server.url) });
};

async function tokenRow(id: string) {
  return t.client.enrollmentToken.findUniqueOrThrow({ where: { id }, select: { useCount: true, claimedCount: true } });
}

// Each device makes an RSA key for SCEP: slow on a loaded machine, hence the generous timeouts.
describe("uses counted per enrolled device", { timeout: 240_000 }, () => {
  it("two taps on Download spend one use; the use is spent when the device enrolls", async () => {
    const { id, jwt } = await createEnrollmentToken({ name: "Two taps", expiresIn: "7d", maxUses: 1 });
    const browser = new Browser();
    const first = await browser.tapDownload(jwt);
    expect(first.status).toBe(200);
    const firstBytes = new Uint8Array(await first.arrayBuffer());
    const second = await browser.tapDownload(jwt);
    expect(second.status).toBe(200);
    const secondBytes = new Uint8Array(await second.arrayBuffer());
    // One reservation, held for both downloads; nothing spent yet.
    expect(await tokenRow(id)).toEqual({ useCount: 0, claimedCount: 1 });
    expect(await t.client.enrollmentReservation.count({ where: { tokenId: id } })).toBe(1);
    const lines = await t.client.enrollmentLog.findMany({ where: { tokenId: id, step: "ota.profile" }, orderBy: [{ time: "asc" }, { id: "asc" }] });
    expect(lines.map((l) => l.outcome)).toEqual(["OK", "OK"]);
    expect(lines[1].message).toMatch(/same browser again: its reservation reused/);

    // Another browser finds the single use held.
    expect((await new Browser().tapDownload(jwt)).status).toBe(410);

    // The device installs the second download: SCEP, Authenticate, TokenUpdate. Now the use is spent.
    const device = sim();
    await device.installDownloadedProfile(secondBytes);
    await device.enrollMdm();
    expect(await tokenRow(id)).toEqual({ useCount: 1, claimedCount: 1 });
    const reservation = await t.client.enrollmentReservation.findFirstOrThrow({ where: { tokenId: id } });
    expect(reservation).toMatchObject({ deviceId: device.udid, releasedAt: null });
    expect(reservation.spentAt).toBeInstanceOf(Date);
    expect(await t.client.device.findUniqueOrThrow({ where: { identifier: device.udid } })).toMatchObject({ tokenId: id, status: "ENROLLED" });

    // The first download's profile (its own one-time challenge) on a second device: the link's
    // only use is spent, so its Authenticate is refused, with the reason in the log.
    const other = sim();
    await other.installDownloadedProfile(firstBytes);
    const auth = await other.authenticate();
    expect(auth.status).toBe(401);
    expect(await t.client.device.findUnique({ where: { identifier: other.udid } })).toBeNull();
    expect(await t.client.enrollmentLog.findFirst({ where: { deviceIdentifier: other.udid, reason: "token_exhausted" } })).toMatchObject({ step: "checkin", outcome: "ERROR" });
    expect(await tokenRow(id)).toEqual({ useCount: 1, claimedCount: 1 });
  });

  it(`a 1-use link serves at most one enrolled device under 20 concurrent enrollments (${process.env.TEST_DATABASE ?? "sqlite"})`, async () => {
    const { id, url } = await createEnrollmentToken({ name: "Crowd", expiresIn: "7d", maxUses: 1 });
    const devices = Array.from({ length: 20 }, sim);
    // Each device downloads (its own browser, no cookie), gets a certificate by SCEP and authenticates, all at once.
    const results = await Promise.allSettled(devices.map((d) => d.enrollOta(url)));
    const enrolled = results.filter((r) => r.status === "fulfilled");
    expect(enrolled).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(String(r.reason)).toMatch(/profile download answered 410/);
    expect(await t.client.device.count({ where: { tokenId: id } })).toBe(1);
    expect(await tokenRow(id)).toEqual({ useCount: 1, claimedCount: 1 });
    expect(await loggedCount({ tokenId: id, step: "ota.profile", reason: "token_exhausted" })).toBe(19);
  });

  it(`a 1-use link: 6 profiles from one browser's reservation, installed on 6 devices that authenticate at once, enroll one (${process.env.TEST_DATABASE ?? "sqlite"})`, async () => {
    const { id, jwt } = await createEnrollmentToken({ name: "Copied profile", expiresIn: "7d", maxUses: 1 });
    const browser = new Browser();
    const first = await browser.tapDownload(jwt);
    expect(first.status).toBe(200);
    const more = [];
    for (let i = 0; i < 5; i++) more.push(await browser.tapDownload(jwt));
    expect(more.map((r) => r.status)).toEqual(Array(5).fill(200));
    const profiles = [new Uint8Array(await first.arrayBuffer()), ...(await Promise.all(more.map(async (r) => new Uint8Array(await r.arrayBuffer()))))];
    expect(await tokenRow(id)).toEqual({ useCount: 0, claimedCount: 1 });

    const devices = profiles.map(() => sim());
    for (const [i, d] of devices.entries()) await d.installDownloadedProfile(profiles[i]);
    // The race that matters: every device's first Authenticate at once.
    const answers = await Promise.all(devices.map((d) => d.authenticate()));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
    expect(await t.client.device.count({ where: { tokenId: id } })).toBe(1);
    expect(await tokenRow(id)).toEqual({ useCount: 1, claimedCount: 1 });
  });

  it("a reservation no device enrolls from is released after the challenge lifetime (injected clock)", async () => {
    const { id, jwt } = await createEnrollmentToken({ name: "Abandoned", expiresIn: "7d", maxUses: 1 });
    const t0 = new Date();
    const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
    const first = await downloadEnrollmentProfile(jwt, { now: t0 });
    expect(first.ok).toBe(true);
    const cookies = first.ok ? { [first.cookie.name]: first.cookie.value } : {};

    // Held: another person is refused while the first download's challenge may still be used.
    expect(await downloadEnrollmentProfile(jwt, { now: at(RESERVATION_MINUTES - 1) })).toMatchObject({ ok: false, reason: "token_exhausted", status: 410 });
    expect(await tokenRow(id)).toEqual({ useCount: 0, claimedCount: 1 });

    // Past the lifetime: the reservation is released and the use goes to the next download.
    const later = await downloadEnrollmentProfile(jwt, { now: at(RESERVATION_MINUTES + 1) });
    expect(later.ok).toBe(true);
    const rows = await t.client.enrollmentReservation.findMany({ where: { tokenId: id }, orderBy: { createdAt: "asc" } });
    expect(rows).toHaveLength(2);
    expect(rows[0].releasedAt).toEqual(at(RESERVATION_MINUTES + 1));
    expect(rows[0].spentAt).toBeNull();
    expect(rows[1]).toMatchObject({ releasedAt: null, spentAt: null });
    expect(await tokenRow(id)).toEqual({ useCount: 0, claimedCount: 1 });

    // The first browser's cookie names a released reservation: it does not get the use back.
    expect(await downloadEnrollmentProfile(jwt, { now: at(RESERVATION_MINUTES + 2), cookies })).toMatchObject({ ok: false, reason: "token_exhausted" });
  });
});
