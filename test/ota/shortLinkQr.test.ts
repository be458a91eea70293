// Short links and their QR codes: the id's shape and randomness, and PNG and SVG codes that
// an independent decoder (jsQR) reads back as the short
// link, at version 4 (33×33 modules) or below. The full JWT link stays available.
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { tokenQr } from "@/lib/enrollment/qr";
import { isShortIdShape, newShortId } from "@/lib/enrollment/shortLinks";
import { createEnrollmentToken, enrollmentJwtForShortId, getEnrollmentToken, listEnrollmentTokens } from "@/lib/enrollment/tokens";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.close();
});

function decode(png: Buffer): { data: string; version: number } | null {
  const img = PNG.sync.read(png);
  const r = jsQR(new Uint8ClampedArray(img.data), img.width, img.height);
  return r ? { data: r.data, version: r.version } : null;
}

describe("short links", () => {
  it("ids are 14 characters of base32, distinct, and only well-shaped ids reach the database", async () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newShortId()));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-hjkmnp-tv-z]{14}$/);
    expect(isShortIdShape("abc")).toBe(false);
    expect(isShortIdShape("a".repeat(17))).toBe(false);
    expect(isShortIdShape("../../etc")).toBe(false);
    expect(await enrollmentJwtForShortId("' OR 1=1 --")).toBeNull();
  });

  it("tokens made before short links get one on first listing, and keep it", async () => {
    const { id, jwt } = await createEnrollmentToken({ name: "Legacy", expiresIn: "7d" });
    await t.client.enrollmentToken.update({ where: { id }, data: { shortId: null } });
    const listed = (await listEnrollmentTokens({ withLinks: true })).find((x) => x.id === id)!;
    expect(listed.shortUrl).toMatch(/\/e\/[0-9a-z]{14}$/);
    expect((await getEnrollmentToken(id, { withLinks: true }))!.shortUrl).toBe(listed.shortUrl);
    expect(await enrollmentJwtForShortId(listed.shortUrl!.split("/").pop()!)).toBe(jwt);
  });

  it("the QR codes (PNG and SVG) decode to the short link at 33×33 modules or less; the full link on request", async () => {
    const token = await createEnrollmentToken({ name: "Printed poster", expiresIn: "30d" });
    const png = await tokenQr(token.id, "png");
    expect(png.contentType).toBe("image/png");
    const fromPng = decode(Buffer.from(png.body as Uint8Array));
    expect(fromPng?.data).toBe(token.shortUrl);
    expect(17 + 4 * fromPng!.version).toBeLessThanOrEqual(33);

    const svg = await tokenQr(token.id, "svg");
    expect(svg.contentType).toBe("image/svg+xml");
    // Size from the document itself: modules plus the 4-module quiet zone on each side. (No
    // SVG rasteriser is installed here; e2e/ota.spec.ts renders it in Chromium and decodes it.)
    const viewBox = /viewBox="0 0 (\d+) (\d+)"/.exec(svg.body as string);
    expect(Number(viewBox?.[1]) - 8).toBeLessThanOrEqual(33);

    const full = await tokenQr(token.id, "png", "full");
    const fromFull = decode(Buffer.from(full.body as Uint8Array));
    expect(fromFull?.data).toBe(token.url);
    expect(fromFull!.version).toBeGreaterThan(4);
    expect(full.filename).toMatch(/-full\.png$/);
  });
});
