// The admin API for account-driven enrollment: routing rules, users (Managed Apple Account
// mapping, local password), token revocation, settings; roles enforced by withAdminApi.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/lib/auth/apiKeys";
import { db } from "@/lib/db/client";
import { issueAccessToken, verifyAccessToken } from "@/lib/enrollment/accessTokens";
import { createTestDb, type TestDb } from "../helpers/db";
import type { RouteServer } from "../helpers/routeServer";
import { discover, startAddeServer } from "./deviceClient";

let t: TestDb;
let server: RouteServer;
let adminKey: string;
let readKey: string;

beforeAll(async () => {
  t = await createTestDb();
  server = await startAddeServer();
  adminKey = (await createApiKey("adde-admin", "ADMIN")).key;
  readKey = (await createApiKey("adde-read", "READ_ONLY")).key;
});

afterAll(async () => {
  await server?.close();
  await t?.close();
});

function api(method: string, p: string, key: string, body?: unknown) {
  return fetch(`${server.url}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe("routing rules API", () => {
  it("creates rules in order, lists them, and discovery follows them", async () => {
    const group = await db().deviceGroup.create({ data: { name: "Corporate Macs" } });
    const a = await api("POST", "/adde/routes", adminKey, { domain: "corp.example", modelFamily: "Mac", version: "mdm-adde", groupId: group.id });
    expect(a.status).toBe(201);
    const b = await api("POST", "/adde/routes", adminKey, { domain: "*.corp.example", version: "mdm-byod", baseUrl: "https://mdm2.corp.example/adde/byod" });
    expect(b.status).toBe(201);
    const c = await api("POST", "/adde/routes", adminKey, { domain: "corp.example", version: "mdm-byod" });
    const list = (await (await api("GET", "/adde/routes", readKey)).json()) as { routes: { domain: string; position: number }[] };
    expect(list.routes.map((r) => r.domain)).toEqual(["corp.example", "*.corp.example", "corp.example"]);
    expect(list.routes[0].position).toBeLessThan(list.routes[1].position);

    const mac = (await (await discover(server, "ann@corp.example", "Mac")).json()) as { Servers: { Version: string; BaseURL: string }[] };
    expect(mac.Servers).toEqual([{ Version: "mdm-adde", BaseURL: "https://mdm.example.test/adde/adde" }]);
    const phone = (await (await discover(server, "ann@corp.example", "iPhone")).json()) as { Servers: { Version: string }[] };
    expect(phone.Servers[0].Version).toBe("mdm-byod");
    const sub = (await (await discover(server, "ann@eu.corp.example", "iPhone")).json()) as { Servers: { BaseURL: string }[] };
    expect(sub.Servers[0].BaseURL).toBe("https://mdm2.corp.example/adde/byod");

    const cid = ((await c.json()) as { id: string }).id;
    expect((await api("DELETE", `/adde/routes/${cid}`, adminKey)).status).toBe(204);
    expect((await api("DELETE", `/adde/routes/${cid}`, adminKey)).status).toBe(404);
    expect((await discover(server, "ann@corp.example", "iPhone")).status).toBe(403);
  });

  it("validates input and enforces roles", async () => {
    for (const bad of [{ domain: "corp.example" }, { domain: "not a domain", version: "mdm-byod" }, { domain: "x.example", version: "mdm-other" }, { domain: "x.example", version: "mdm-byod", groupId: "missing" }, { domain: "x.example", version: "mdm-byod", extra: 1 }]) {
      const res = await api("POST", "/adde/routes", adminKey, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await api("POST", "/adde/routes", readKey, { domain: "x.example", version: "mdm-byod" })).status).toBe(403);
    expect((await fetch(`${server.url}/api/v1/adde/routes`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    const notJson = await fetch(`${server.url}/api/v1/adde/routes`, { method: "POST", headers: { authorization: `Bearer ${adminKey}` }, body: "{" });
    expect(notJson.status).toBe(400);
  });
});

describe("users API", () => {
  it("maps a Managed Apple Account, sets a local password without ever returning it", async () => {
    const put = await api("PUT", "/users/Zoe@Corp.example", adminKey, { managedAppleId: "zoe@appleid.corp.example", password: "zoe-password-1" });
    expect(put.status).toBe(201);
    const body = (await put.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ identifier: "zoe@corp.example", managedAppleId: "zoe@appleid.corp.example", managedAppleIdMapped: true, localSignIn: true });
    expect(JSON.stringify(body)).not.toContain("zoe-password-1");
    expect(JSON.stringify(body)).not.toContain("scrypt");
    const again = await api("PUT", "/users/zoe@corp.example", adminKey, { managedAppleId: null });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ managedAppleId: "zoe@corp.example", managedAppleIdMapped: false, localSignIn: true });
    expect((await api("GET", "/users/zoe@corp.example", readKey)).status).toBe(200);
    expect((await api("GET", "/users/nobody@corp.example", readKey)).status).toBe(404);
  });

  it("refuses bad identifiers and values", async () => {
    expect((await api("PUT", "/users/no-domain", adminKey, {})).status).toBe(400);
    expect((await api("PUT", "/users/a@corp.example", adminKey, { managedAppleId: "nope" })).status).toBe(400);
    expect((await api("PUT", "/users/a@corp.example", adminKey, { password: "short" })).status).toBe(400);
    expect((await api("PUT", "/users/a@corp.example", adminKey, { role: "OWNER" })).status).toBe(400);
    expect((await api("PUT", "/users/a@corp.example", readKey, {})).status).toBe(403);
  });

  it("revokes a user's tokens with a log line; their tokens stop working", async () => {
    const user = await db().user.findUniqueOrThrow({ where: { identifier: "zoe@corp.example" } });
    const token = await issueAccessToken(user.id, "mdm-byod");
    expect((await verifyAccessToken(token)).ok).toBe(true);
    expect((await api("POST", "/users/zoe@corp.example/revoke-tokens", readKey)).status).toBe(403);
    const res = await api("POST", "/users/zoe@corp.example/revoke-tokens", adminKey);
    expect(res.status).toBe(200);
    expect(await verifyAccessToken(token)).toEqual({ ok: false, reason: "tokens_revoked_by_admin" });
    const line = await db().enrollmentLog.findFirst({ where: { step: "adde.revoke", userIdentifier: "zoe@corp.example" } });
    expect(line?.message).toContain("api-key:adde-admin");
    expect((await api("POST", "/users/ghost@corp.example/revoke-tokens", adminKey)).status).toBe(404);
  });
});

describe("settings API", () => {
  it("switches the authentication method and validates values", async () => {
    const put = await api("PUT", "/adde/settings", adminKey, { authMethod: "oauth2" });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ authMethod: "oauth2", oauthClientId: "apple-device-enrollment", scepProfileId: null });
    expect((await api("PUT", "/adde/settings", adminKey, { authMethod: "magic" })).status).toBe(400);
    expect((await api("PUT", "/adde/settings", adminKey, { oauthClientId: 'a"b' })).status).toBe(400);
    expect(await (await api("GET", "/adde/settings", readKey)).json()).toMatchObject({ authMethod: "oauth2" });
  });
});
