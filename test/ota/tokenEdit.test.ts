// The tokens table's basics: search and sort, edit (name, group, expiry moved later; the
// short link keeps working and the JWT is signed anew with the same jti) and delete (the
// link stops at once, a downloaded-but-not-installed profile can no longer enroll, and
// devices already enrolled stay enrolled with their group). Devices go through the shipped
// route handlers: profile download, SCEP, check-in.
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { config } from "@/lib/config";
import { parseTokenQuery } from "@/lib/enrollment/tokenQuery";
import { createEnrollmentToken, deleteEnrollmentToken, enrollmentJwtForShortId, getEnrollmentToken, listEnrollmentTokens, updateEnrollmentToken, verifyEnrollmentToken } from "@/lib/enrollment/tokens";
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
afterEach(() => {
  vi.useRealTimers();
});

const sim = () => {
  const publicUrl = config().publicUrl;
  return new SimDevice({ rewriteUrl: (u) => u.replace(publicUrl, server.url) });
};
const shortIdOf = (shortUrl: string) => new URL(shortUrl).pathname.split("/").pop()!;

describe("tokens: search and sort", () => {
  it("finds by name, group or person (any case) and sorts by each column", async () => {
    const sales = await t.client.deviceGroup.create({ data: { name: "Sales Team" } });
    await createEnrollmentToken({ name: "Zulu kiosks", expiresIn: "30d", maxUses: 3 });
    await createEnrollmentToken({ name: "alpha laptops", expiresIn: "24h", groupId: sales.id });
    await createEnrollmentToken({ name: "Mike's iPhone", expiresIn: "never", personEmail: "mike@example.com" });
    const names = async (query: Record<string, string>) => (await listEnrollmentTokens({ withLinks: true, query: parseTokenQuery(query) })).map((x) => x.name);

    expect(await names({ q: "ZULU" })).toEqual(["Zulu kiosks"]);
    expect(await names({ q: "sales" })).toEqual(["alpha laptops"]);
    expect(await names({ q: "mike@" })).toEqual(["Mike's iPhone"]);
    expect(await names({ q: "nothing like it" })).toEqual([]);

    // Newest first by default.
    expect(await names({})).toEqual(["Mike's iPhone", "alpha laptops", "Zulu kiosks"]);
    // Names as people read them: case does not decide the order.
    expect(await names({ sort: "name" })).toEqual(["alpha laptops", "Mike's iPhone", "Zulu kiosks"]);
    expect(await names({ sort: "name", dir: "desc" })).toEqual(["Zulu kiosks", "Mike's iPhone", "alpha laptops"]);
    expect((await names({ sort: "group" }))[0]).toBe("alpha laptops");
    // Soonest expiry first; a token that never expires comes last either way.
    expect(await names({ sort: "expires" })).toEqual(["alpha laptops", "Zulu kiosks", "Mike's iPhone"]);
    expect(await names({ sort: "expires", dir: "desc" })).toEqual(["Zulu kiosks", "alpha laptops", "Mike's iPhone"]);

    expect(() => parseTokenQuery({ sort: "secret" })).toThrow(/sort must be one of/);
    expect(() => parseTokenQuery({ dir: "sideways" })).toThrow(/dir must be asc or desc/);
  });
});

describe("tokens: edit", () => {
  it("renames, regroups and extends; the short link resolves to a JWT with the new claims and the same jti", async () => {
    const group = await t.client.deviceGroup.create({ data: { name: "Field staff" } });
    const created = await createEnrollmentToken({ name: "Spring intake", expiresIn: "7d", maxUses: 5 });
    const before = decodeJwt(created.jwt);

    const edited = await updateEnrollmentToken(created.id, { name: "Spring intake (extended)", groupId: group.id, extendExpiry: "30d" });
    expect(edited).toMatchObject({ id: created.id, name: "Spring intake (extended)", groupId: group.id, groupName: "Field staff", shortUrl: created.shortUrl, maxUses: 5 });
    // 30 days added to the current expiry (to the second, as in the JWT).
    expect(edited.expiresAt!.getTime()).toBe((before.exp! + 30 * 86_400) * 1000);

    const jwt = await enrollmentJwtForShortId(shortIdOf(created.shortUrl));
    expect(jwt).not.toBe(created.jwt);
    expect(decodeJwt(jwt!)).toMatchObject({ jti: created.id, name: "Spring intake (extended)", group_id: group.id, max_uses: 5, exp: before.exp! + 30 * 86_400 });
    expect(await verifyEnrollmentToken(jwt)).toMatchObject({ ok: true, tokenId: created.id });
    // The full link copied before the edit still works (same jti, its own expiry).
    expect(await verifyEnrollmentToken(created.jwt)).toMatchObject({ ok: true, tokenId: created.id });

    // Removing the group, and an expiry that is no extension, are handled.
    expect(await updateEnrollmentToken(created.id, { groupId: null })).toMatchObject({ groupId: null, name: "Spring intake (extended)" });
    await expect(updateEnrollmentToken(created.id, { extendExpiry: { at: new Date(Date.now() + 3600_000).toISOString() } })).rejects.toThrow(/later than the current one/);
    await expect(updateEnrollmentToken(created.id, { name: "" })).rejects.toThrow(/Name is required/);
    await expect(updateEnrollmentToken(created.id, { maxUses: 100 })).rejects.toThrow();
    await expect(updateEnrollmentToken(created.id, { groupId: "no-such-group" })).rejects.toThrow(/no such device group/);
    await expect(updateEnrollmentToken("no-such-token", { name: "x" })).rejects.toMatchObject({ status: 404 });

    // "Never" removes the expiry; a token that never expires has nothing to extend.
    const never = await updateEnrollmentToken(created.id, { extendExpiry: "never" });
    expect(never.expiresAt).toBeNull();
    expect(decodeJwt((await enrollmentJwtForShortId(shortIdOf(created.shortUrl)))!).exp).toBeUndefined();
    await expect(updateEnrollmentToken(created.id, { extendExpiry: "7d" })).rejects.toThrow(/never expires/);
  });

  it("an expired link comes back to life when its expiry is extended", async () => {
    const created = await createEnrollmentToken({ name: "Lapsed", expiresIn: "24h" });
    // Two days on (only Date is faked): the link has expired.
    vi.useFakeTimers({ now: Date.now() + 2 * 86_400_000, toFake: ["Date"] });
    expect(await verifyEnrollmentToken(created.jwt)).toMatchObject({ ok: false, reason: "token_expired" });
    expect((await getEnrollmentToken(created.id, { withLinks: true }))!.status).toBe("expired");
    const edited = await updateEnrollmentToken(created.id, { extendExpiry: "7d" });
    // Counted from now, since the old expiry has passed.
    expect(Math.abs(edited.expiresAt!.getTime() - (Date.now() + 7 * 86_400_000))).toBeLessThan(2000);
    expect(edited.status).toBe("active");
    expect(await verifyEnrollmentToken(await enrollmentJwtForShortId(shortIdOf(created.shortUrl)))).toMatchObject({ ok: true });
    // The old JWT still carries the old expiry.
    expect(await verifyEnrollmentToken(created.jwt)).toMatchObject({ ok: false, reason: "token_expired" });
  });
});

describe("tokens: delete", { timeout: 240_000 }, () => {
  it("stops the link and pending profiles; enrolled devices stay enrolled with their group", async () => {
    const group = await t.client.deviceGroup.create({ data: { name: "Doomed group" } });
    const { id, jwt, shortUrl } = await createEnrollmentToken({ name: "To delete", expiresIn: "7d", groupId: group.id, maxUses: 5 });

    // Device A enrolls; device B gets its certificate but has not authenticated; a third browser only downloaded.
    const a = sim();
    await a.enrollOta(shortUrl);
    const b = sim();
    await b.installOtaProfile(shortUrl);
    const pending = await new EnrollBrowser(() => server.url).tapDownload(jwt);
    expect(pending.status).toBe(200);
    const pendingProfile = new Uint8Array(await pending.arrayBuffer());
    expect(await t.client.device.findUniqueOrThrow({ where: { identifier: a.udid } })).toMatchObject({ tokenId: id, groupId: group.id, status: "ENROLLED" });

    expect(await deleteEnrollmentToken(id)).toEqual({ id, name: "To delete", devices: 1 });
    expect(await getEnrollmentToken(id, { withLinks: true })).toBeNull();
    expect(await t.client.enrollmentReservation.count({ where: { tokenId: id } })).toBe(0);
    await expect(deleteEnrollmentToken(id)).rejects.toMatchObject({ status: 404 });

    // The link and the short link are gone.
    expect(await verifyEnrollmentToken(jwt)).toMatchObject({ ok: false, reason: "token_unknown" });
    expect(await enrollmentJwtForShortId(shortIdOf(shortUrl))).toBeNull();
    expect((await new EnrollBrowser(() => server.url).tapDownload(jwt)).status).toBeGreaterThanOrEqual(400);

    // Device A stays enrolled, keeps its group, and its identity still works (even a repeated Authenticate).
    expect(await t.client.device.findUniqueOrThrow({ where: { identifier: a.udid } })).toMatchObject({ tokenId: null, groupId: group.id, status: "ENROLLED" });
    expect((await a.tokenUpdate()).status).toBe(200);
    expect((await a.authenticate()).status).toBe(200);
    expect(await t.client.device.findUniqueOrThrow({ where: { identifier: a.udid } })).toMatchObject({ tokenId: null, groupId: group.id });

    // Device B (certificate issued for the deleted token) cannot enroll; the log says why.
    expect((await b.authenticate()).status).toBe(401);
    expect(await t.client.device.findUnique({ where: { identifier: b.udid } })).toBeNull();
    expect(await t.client.enrollmentLog.findFirst({ where: { deviceIdentifier: b.udid, reason: "token_unknown" } })).toMatchObject({ step: "checkin", outcome: "ERROR" });

    // The downloaded profile's one-time challenge ended with the token: SCEP refuses it.
    await expect(sim().installDownloadedProfile(pendingProfile)).rejects.toThrow();
  });
});
