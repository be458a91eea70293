// The admin API for account-driven enrollment: routing rules, users (Managed Apple Account
// mapping, local password), token revocation, settings; roles enforced by withAdminApi.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { issueAccessToken, verifyAccessToken } from "@/lib/enrollment/accessTokens";
import { startAdminApi, type AdminApi } from "../helpers/adminApi";
import type { RouteServer } from "../helpers/routeServer";
import { addeRoutes, discover } from "./deviceClient";

let api: AdminApi;
let server: RouteServer;
let adminKey: string;
let readKey: string;

beforeAll(async () => {
  api = await startAdminApi("adde", addeRoutes());
  ({ server, adminKey, readKey } = api);
});

afterAll(async () => {
  await api?.close();
});

const call: AdminApi["call"] = (path, key, init) => api.call(path, key, init);

describe("routing rules API", () => {
  it("creates rules in order, lists them, and discovery follows them", async () => {
    const group = await db().deviceGroup.create({ data: { name: "Corporate Macs" } });
    const a = await call("/api/v1/adde/routes", adminKey, { method: "POST", body: JSON.stringify({ domain: "corp.example", modelFamily: "Mac", version: "mdm-adde", groupId: group.id }) });
    expect(a.status).toBe(201);
    const b = await call("/api/v1/adde/routes", adminKey, { method: "POST", body: JSON.stringify({ domain: "*.corp.example", version: "mdm-byod", baseUrl: "https://mdm2.corp.example/adde/byod" }) });
    expect(b.status).toBe(201);
    const c = await call("/api/v1/adde/routes", adminKey, { method: "POST", body: JSON.stringify({ domain: "corp.example", version: "mdm-byod" }) });
    const list = (await (await call("/api/v1/adde/routes", readKey)).json()) as { routes: { domain: string; position: number }[] };
    expect(list.routes.map((r) => r.domain)).toEqual(["corp.example", "*.corp.example", "corp.example"]);
    expect(list.routes[0].position).toBeLessThan(list.routes[1].position);

    const mac = (await (await discover(server, "ann@corp.example", "Mac")).json()) as { Servers: { Version: string; BaseURL: string }[] };
    expect(mac.Servers).toEqual([{ Version: "mdm-adde", BaseURL: "https://mdm.example.test/adde/adde" }]);
    const phone = (await (await discover(server, "ann@corp.example", "iPhone")).json()) as { Servers: { Version: string }[] };
    expect(phone.Servers[0].Version).toBe("mdm-byod");
    const sub = (await (await discover(server, "ann@eu.corp.example", "iPhone")).json()) as { Servers: { BaseURL: string }[] };
    expect(sub.Servers[0].BaseURL).toBe("https://mdm2.corp.example/adde/byod");

    const cid = ((await c.json()) as { id: string }).id;
    expect((await call(`/api/v1/adde/routes/${cid}`, adminKey, { method: "DELETE" })).status).toBe(204);
    expect((await call(`/api/v1/adde/routes/${cid}`, adminKey, { method: "DELETE" })).status).toBe(404);
    expect((await discover(server, "ann@corp.example", "iPhone")).status).toBe(403);
  });

  it("validates input and enforces roles", async () => {
    for (const bad of [
      { domain: "corp.example" },
      { domain: "not a domain", version: "mdm-byod" },
      { domain: "x.example", version: "mdm-other" },
      { domain: "x.example", version: "mdm-byod", groupId: "missing" },
      { domain: "x.example", version: "mdm-byod", extra: 1 },
    ]) {
      const res = await call("/api/v1/adde/routes", adminKey, { method: "POST", body: JSON.stringify(bad) });
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await call("/api/v1/adde/routes", readKey, { method: "POST", body: JSON.stringify({ domain: "x.example", version: "mdm-byod" }) })).status).toBe(403);
    expect((await call("/api/v1/adde/routes", "nope")).status).toBe(401);
    const notJson = await call("/api/v1/adde/routes", adminKey, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
  });
});

describe("users API", () => {
  it("maps a Managed Apple Account, sets a local password without ever returning it", async () => {
    const put = await call("/api/v1/users/Zoe@Corp.example", adminKey, { method: "PUT", body: JSON.stringify({ managedAppleId: "zoe@appleid.corp.example", password: "zoe-password-1" }) });
    expect(put.status).toBe(201);
    const body = (await put.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ identifier: "zoe@corp.example", managedAppleId: "zoe@appleid.corp.example", managedAppleIdMapped: true, localSignIn: true });
    expect(JSON.stringify(body)).not.toContain("zoe-password-1");
    expect(JSON.stringify(body)).not.toContain("scrypt");
    const again = await call("/api/v1/users/zoe@corp.example", adminKey, { method: "PUT", body: JSON.stringify({ managedAppleId: null }) });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ managedAppleId: "zoe@corp.example", managedAppleIdMapped: false, localSignIn: true });
    expect((await call("/api/v1/users/zoe@corp.example", readKey)).status).toBe(200);
    expect((await call("/api/v1/users/nobody@corp.example", readKey)).status).toBe(404);
  });

  it("refuses bad identifiers and values", async () => {
    expect((await call("/api/v1/users/no-domain", adminKey, { method: "PUT", body: JSON.stringify({}) })).status).toBe(400);
    expect((await call("/api/v1/users/a@corp.example", adminKey, { method: "PUT", body: JSON.stringify({ managedAppleId: "nope" }) })).status).toBe(400);
    expect((await call("/api/v1/users/a@corp.example", adminKey, { method: "PUT", body: JSON.stringify({ password: "short" }) })).status).toBe(400);
    expect((await call("/api/v1/users/a@corp.example", adminKey, { method: "PUT", body: JSON.stringify({ role: "OWNER" }) })).status).toBe(400);
    expect((await call("/api/v1/users/a@corp.example", readKey, { method: "PUT", body: JSON.stringify({}) })).status).toBe(403);
  });

  it("revokes a user's tokens with a log line; their tokens stop working", async () => {
    const user = await db().user.findUniqueOrThrow({ where: { identifier: "zoe@corp.example" } });
    const token = await issueAccessToken(user.id, "mdm-byod");
    expect((await verifyAccessToken(token)).ok).toBe(true);
    expect((await call("/api/v1/users/zoe@corp.example/revoke-tokens", readKey, { method: "POST" })).status).toBe(403);
    const res = await call("/api/v1/users/zoe@corp.example/revoke-tokens", adminKey, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await verifyAccessToken(token)).toEqual({ ok: false, reason: "tokens_revoked_by_admin" });
    const line = await db().enrollmentLog.findFirst({ where: { step: "adde.revoke", userIdentifier: "zoe@corp.example" } });
    expect(line?.message).toContain("api-key:adde-admin");
    expect((await call("/api/v1/users/ghost@corp.example/revoke-tokens", adminKey, { method: "POST" })).status).toBe(404);
  });
});

describe("settings API", () => {
  it("switches the authentication method and validates values", async () => {
    const put = await call("/api/v1/adde/settings", adminKey, { method: "PUT", body: JSON.stringify({ authMethod: "oauth2" }) });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ authMethod: "oauth2", oauthClientId: "apple-device-enrollment", scepProfileId: null });
    expect((await call("/api/v1/adde/settings", adminKey, { method: "PUT", body: JSON.stringify({ authMethod: "magic" }) })).status).toBe(400);
    expect((await call("/api/v1/adde/settings", adminKey, { method: "PUT", body: JSON.stringify({ oauthClientId: 'a"b' }) })).status).toBe(400);
    expect(await (await call("/api/v1/adde/settings", readKey)).json()).toMatchObject({ authMethod: "oauth2" });
  });
});
