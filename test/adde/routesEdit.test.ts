// Routing rules can be edited (PATCH) and reordered (PUT /order) through the admin API;
// a rule that repeats another's match, or an order that repeats or leaves out a rule, is refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { InputError } from "@/lib/errors";
import { createRoute } from "@/lib/enrollment/routes";
import { startAdminApi, type AdminApi } from "../helpers/adminApi";

let api: AdminApi;

beforeAll(async () => {
  api = await startAdminApi("routes-edit", {
    "/api/v1/adde/routes": import("@/app/api/v1/adde/routes/route"),
    "/api/v1/adde/routes/order": import("@/app/api/v1/adde/routes/order/route"),
    "/api/v1/adde/routes/[id]": import("@/app/api/v1/adde/routes/[id]/route"),
  });
});
afterAll(async () => api?.close());

interface Rule {
  id: string;
  position: number;
  domain: string;
  userMatch: string | null;
  version: string;
  enabled: boolean;
  groupId: string | null;
}
const send = (path: string, key: string, method: string, body: unknown) => api.call(path, key, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const list = async (): Promise<Rule[]> => ((await (await api.call("/api/v1/adde/routes", api.readKey)).json()) as { routes: Rule[] }).routes;

describe("editing and ordering routing rules", () => {
  let a: Rule, b: Rule, c: Rule;

  it("refuses a second rule with the same match, naming the rule it repeats", async () => {
    a = (await (await send("/api/v1/adde/routes", api.adminKey, "POST", { domain: "edit.example", version: "mdm-byod" })).json()) as Rule;
    const dup = await send("/api/v1/adde/routes", api.adminKey, "POST", { domain: "EDIT.example", version: "mdm-byod", enabled: false });
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ error: "duplicate_route", message: expect.stringContaining(`rule #${a.position}`) });
    // Same domain, another enrollment type or a narrower user match is a different rule.
    b = (await (await send("/api/v1/adde/routes", api.adminKey, "POST", { domain: "edit.example", version: "mdm-adde" })).json()) as Rule;
    c = (await (await send("/api/v1/adde/routes", api.adminKey, "POST", { domain: "edit.example", userMatch: "b@edit.example, a@edit.example", version: "mdm-byod" })).json()) as Rule;
    // The user list is compared as a set.
    await expect(createRoute({ domain: "edit.example", userMatch: "A@edit.example,b@edit.example", version: "mdm-byod" })).rejects.toSatisfy(
      (e) => e instanceof InputError && e.status === 409 && "domain" in e.fields,
    );
  });

  it("edits the fields given and keeps the others", async () => {
    const group = await db().deviceGroup.create({ data: { name: "Edited rule group" } });
    const res = await send(`/api/v1/adde/routes/${c.id}`, api.adminKey, "PATCH", { userMatch: "c@edit.example", groupId: group.id, enabled: false });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: c.id, domain: "edit.example", userMatch: "c@edit.example", version: "mdm-byod", groupId: group.id, enabled: false, position: c.position });
    expect(await (await api.call(`/api/v1/adde/routes/${c.id}`, api.readKey)).json()).toMatchObject({ userMatch: "c@edit.example", enabled: false });
    // Governance fields are edited too, and kept when a patch leaves them out.
    const gov = await send(`/api/v1/adde/routes/${c.id}`, api.adminKey, "PATCH", { deviceLimit: 3, terms: "Be nice." });
    expect(await gov.json()).toMatchObject({ deviceLimit: 3, terms: "Be nice." });
    expect(await (await send(`/api/v1/adde/routes/${c.id}`, api.adminKey, "PATCH", { enabled: false })).json()).toMatchObject({ deviceLimit: 3, terms: "Be nice." });
    // Clearing the user match would make it repeat rule a.
    const clash = await send(`/api/v1/adde/routes/${c.id}`, api.adminKey, "PATCH", { userMatch: null });
    expect(clash.status).toBe(409);
    // Bad input names the field; unknown fields and ids are refused; read-only keys cannot edit.
    const bad = await send(`/api/v1/adde/routes/${c.id}`, api.adminKey, "PATCH", { domain: "not a domain" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/^domain: /);
    expect((await send(`/api/v1/adde/routes/${c.id}`, api.adminKey, "PATCH", { color: "red" })).status).toBe(400);
    expect((await send(`/api/v1/adde/routes/${c.id}`, api.adminKey, "PATCH", { groupId: "no-such-group" })).status).toBe(400);
    expect((await send("/api/v1/adde/routes/nope", api.adminKey, "PATCH", { enabled: true })).status).toBe(404);
    expect((await send(`/api/v1/adde/routes/${c.id}`, api.readKey, "PATCH", { enabled: true })).status).toBe(403);
  });

  it("reorders every rule, refusing repeats, gaps and unknown ids", async () => {
    const ids = (await list()).map((r) => r.id);
    expect(ids).toEqual([a.id, b.id, c.id]);
    const repeated = await send("/api/v1/adde/routes/order", api.adminKey, "PUT", { order: [c.id, c.id, a.id, b.id] });
    expect(repeated.status).toBe(400);
    expect(((await repeated.json()) as { message: string }).message).toContain("more than once");
    expect((await send("/api/v1/adde/routes/order", api.adminKey, "PUT", { order: [c.id, a.id] })).status).toBe(400);
    expect((await send("/api/v1/adde/routes/order", api.adminKey, "PUT", { order: [c.id, a.id, b.id, "ghost"] })).status).toBe(400);
    expect((await list()).map((r) => r.id)).toEqual([a.id, b.id, c.id]); // nothing changed
    const ok = await send("/api/v1/adde/routes/order", api.adminKey, "PUT", { order: [c.id, a.id, b.id] });
    expect(ok.status).toBe(200);
    const after = await list();
    expect(after.map((r) => [r.id, r.position])).toEqual([
      [c.id, 10],
      [a.id, 20],
      [b.id, 30],
    ]);
    expect((await send("/api/v1/adde/routes/order", api.readKey, "PUT", { order: [a.id, b.id, c.id] })).status).toBe(403);
  });
});
