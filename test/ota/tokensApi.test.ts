// The tokens API over real HTTP: roles, validation, revoke, edit, delete, search and sort,
// and QR codes that decode (jsqr on the PNG's pixels) to the enrollment URL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAdminApi, type AdminApi } from "@/test/helpers/adminApi";
import { decodeQrPng } from "./qrDecode";

let api: AdminApi;
let adminKey: string;
let readKey: string;

beforeAll(async () => {
  api = await startAdminApi("ota", {
    "/api/v1/tokens": import("@/app/api/v1/tokens/route"),
    "/api/v1/tokens/[id]": import("@/app/api/v1/tokens/[id]/route"),
    "/api/v1/tokens/[id]/revoke": import("@/app/api/v1/tokens/[id]/revoke/route"),
    "/api/v1/tokens/[id]/qr.png": import("@/app/api/v1/tokens/[id]/qr.png/route"),
    "/api/v1/tokens/[id]/qr.svg": import("@/app/api/v1/tokens/[id]/qr.svg/route"),
    "/api/v1/settings/enrollment": import("@/app/api/v1/settings/enrollment/route"),
  });
  ({ adminKey, readKey } = api);
});
afterAll(async () => {
  await api?.close();
});

const call: AdminApi["call"] = (path, key, init) => api.call(path, key, init);

describe("/api/v1/tokens", () => {
  it("creates, lists, serves QR codes and revokes", async () => {
    const created = await call("/api/v1/tokens", adminKey, { method: "POST", body: JSON.stringify({ name: "Sales iPads", expiresIn: "30d", maxUses: 5 }) });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string; url: string; shortUrl: string; jwt: string };
    expect(body.url).toBe(`https://mdm.example.test/enroll?token=${body.jwt}`);
    expect(body.shortUrl).toMatch(/^https:\/\/mdm\.example\.test\/e\/[0-9a-z]{14}$/);

    const listed = await call("/api/v1/tokens", adminKey);
    expect(listed.status).toBe(200);
    const { tokens } = (await listed.json()) as { tokens: Array<{ id: string; status: string; maxUses: number; useCount: number; url: string }> };
    expect(tokens.find((x) => x.id === body.id)).toMatchObject({ status: "active", maxUses: 5, useCount: 0, url: body.url, shortUrl: body.shortUrl, linksHidden: false });

    // Links and QR codes enroll devices: Read-only sees the token without them.
    const readListed = await call("/api/v1/tokens", readKey);
    expect(readListed.status).toBe(200);
    const readText = await readListed.text();
    for (const secret of [body.jwt, body.url, body.shortUrl, body.shortUrl.split("/").pop()!]) expect(readText).not.toContain(secret);
    expect((JSON.parse(readText) as { tokens: Array<{ id: string }> }).tokens.find((x) => x.id === body.id)).toMatchObject({
      status: "active",
      maxUses: 5,
      url: null,
      shortUrl: null,
      linksHidden: true,
    });
    for (const qr of ["qr.png", "qr.svg", "qr.png?link=full"]) expect((await call(`/api/v1/tokens/${body.id}/${qr}`, readKey)).status).toBe(403);

    const png = await call(`/api/v1/tokens/${body.id}/qr.png`, adminKey);
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
    expect(png.headers.get("content-disposition")).toMatch(/attachment; filename="enroll-sales-ipads\.png"/);
    // The short link by default (issue 17: small QR codes); the full link on request.
    expect(decodeQrPng(Buffer.from(await png.arrayBuffer()))).toBe(body.shortUrl);
    const fullPng = await call(`/api/v1/tokens/${body.id}/qr.png?link=full`, adminKey);
    expect(fullPng.headers.get("content-disposition")).toMatch(/filename="enroll-sales-ipads-full\.png"/);
    expect(decodeQrPng(Buffer.from(await fullPng.arrayBuffer()))).toBe(body.url);

    const svg = await call(`/api/v1/tokens/${body.id}/qr.svg`, adminKey);
    expect(svg.status).toBe(200);
    expect(svg.headers.get("content-type")).toBe("image/svg+xml");
    expect(await svg.text()).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);

    expect((await call(`/api/v1/tokens/${body.id}/revoke`, readKey, { method: "POST" })).status).toBe(403);
    const revoked = await call(`/api/v1/tokens/${body.id}/revoke`, adminKey, { method: "POST" });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { status: string }).status).toBe("revoked");
    expect((await call(`/api/v1/tokens/nope/revoke`, adminKey, { method: "POST" })).status).toBe(404);
    expect((await call(`/api/v1/tokens/nope/qr.png`, adminKey)).status).toBe(404);
  });

  it("edits, searches, sorts and deletes; read-only keys may only read", async () => {
    const created = (await (await call("/api/v1/tokens", adminKey, { method: "POST", body: JSON.stringify({ name: "Warehouse scanners", expiresIn: "7d" }) })).json()) as {
      id: string;
      shortUrl: string;
      expiresAt: string;
    };
    const path = `/api/v1/tokens/${created.id}`;
    expect((await call(path, readKey, { method: "PATCH", body: JSON.stringify({ name: "x" }) })).status).toBe(403);
    const edited = await call(path, adminKey, { method: "PATCH", body: JSON.stringify({ name: "Warehouse scanners (north)", extendExpiry: "24h" }) });
    expect(edited.status).toBe(200);
    const body = (await edited.json()) as { name: string; shortUrl: string; expiresAt: string };
    expect(body).toMatchObject({ name: "Warehouse scanners (north)", shortUrl: created.shortUrl });
    expect(Date.parse(body.expiresAt) - Date.parse(created.expiresAt)).toBeGreaterThanOrEqual(86_400_000 - 1000);
    const refused = await call(path, adminKey, { method: "PATCH", body: JSON.stringify({ extendExpiry: { at: "2000-01-01T00:00:00Z" } }) });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/later than the current one/);
    expect((await call(path, readKey)).status).toBe(200);

    const found = (await (await call("/api/v1/tokens?q=NORTH&sort=name&dir=asc", readKey)).json()) as { tokens: Array<{ id: string }> };
    expect(found.tokens.map((x) => x.id)).toEqual([created.id]);
    expect((await call("/api/v1/tokens?sort=password", readKey)).status).toBe(400);

    expect((await call(path, readKey, { method: "DELETE" })).status).toBe(403);
    const deleted = await call(path, adminKey, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: created.id, name: "Warehouse scanners (north)", devices: 0 });
    expect((await call(path, readKey)).status).toBe(404);
    expect((await call(path, adminKey, { method: "DELETE" })).status).toBe(404);
  });

  it("refuses bad input and weaker roles with clear errors", async () => {
    const ro = await call("/api/v1/tokens", readKey, { method: "POST", body: JSON.stringify({ name: "x", expiresIn: "7d" }) });
    expect(ro.status).toBe(403);
    const bad = await call("/api/v1/tokens", adminKey, { method: "POST", body: JSON.stringify({ name: "x", expiresIn: "1y" }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/expiresIn/);
    const notJson = await call("/api/v1/tokens", adminKey, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    const custom = await call("/api/v1/tokens", adminKey, { method: "POST", body: JSON.stringify({ name: "Event", expiresIn: { at: new Date(Date.now() + 3 * 86400_000).toISOString() } }) });
    expect(custom.status).toBe(201);
  });

  it("governance: a per-person token with a device limit and terms; the organisation's device limit", async () => {
    const created = await call("/api/v1/tokens", adminKey, {
      method: "POST",
      body: JSON.stringify({ name: "Jo's iPad", expiresIn: "7d", maxUses: 1, personEmail: "Jo@Example.com", deviceLimit: 3, terms: "Be **kind**." }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const { tokens } = (await (await call("/api/v1/tokens", readKey)).json()) as { tokens: Record<string, unknown>[] };
    expect(tokens.find((x) => x.id === id)).toMatchObject({
      personEmail: "jo@example.com",
      deviceLimit: 3,
      terms: "Be **kind**.",
      termsVersion: expect.stringMatching(/^[0-9a-f]{64}$/),
      useCount: 0,
      reservedUses: 0,
    });
    const bad = await call("/api/v1/tokens", adminKey, { method: "POST", body: JSON.stringify({ name: "x", expiresIn: "7d", personEmail: "nobody" }) });
    expect(bad.status).toBe(400);

    expect(await (await call("/api/v1/settings/enrollment", readKey)).json()).toEqual({ deviceLimit: 0 });
    expect((await call("/api/v1/settings/enrollment", readKey, { method: "PUT", body: JSON.stringify({ deviceLimit: 15 }) })).status).toBe(403);
    const put = await call("/api/v1/settings/enrollment", adminKey, { method: "PUT", body: JSON.stringify({ deviceLimit: 15 }) });
    expect(await put.json()).toEqual({ deviceLimit: 15 });
    expect((await call("/api/v1/settings/enrollment", adminKey, { method: "PUT", body: JSON.stringify({ deviceLimit: -2 }) })).status).toBe(400);
    expect(await (await call("/api/v1/settings/enrollment", readKey)).json()).toEqual({ deviceLimit: 15 });
  });
});
