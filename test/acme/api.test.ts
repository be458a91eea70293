// The ACME admin API: settings (directory URL, allowed DNS domains), pre-registered serial
// numbers by JSON and CSV (role-checked, whole import refused on a bad row), and the list of
// attested issuances after a device stand-in obtained a certificate.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearCaCache } from "@/lib/pki/ca";
import { clearServerKeyCache } from "@/lib/secrets/serverKeys";
import { AcmeClient, deviceAttestPayload, deviceKey, opensslCsr } from "@/test/helpers/acmeDeviceClient";
import { startAdminApi, type AdminApi } from "@/test/helpers/adminApi";
import { makeTestAttestationRoot } from "@/test/helpers/fakeAppleAttestation";

const PUBLIC_URL = process.env.PUBLIC_URL!;
let api: AdminApi;

beforeAll(async () => {
  api = await startAdminApi("acme", {
    "/api/v1/acme/registered-devices/[serial]": import("@/app/api/v1/acme/registered-devices/[serial]/route"),
    "/api/v1/acme/registered-devices": import("@/app/api/v1/acme/registered-devices/route"),
    "/api/v1/acme/issuances": import("@/app/api/v1/acme/issuances/route"),
    "/api/v1/acme": import("@/app/api/v1/acme/route"),
    "/acme/[...path]": import("@/app/acme/[...path]/route"),
  });
  clearServerKeyCache();
  clearCaCache();
});

afterAll(async () => {
  await api?.close();
});

describe("ACME admin API", () => {
  it("shows the directory URL; only Admins change the DNS domains", async () => {
    const r = await api.call("/api/v1/acme", api.readKey);
    expect(await r.json()).toEqual({ directoryUrl: `${PUBLIC_URL}/acme/directory`, dnsDomains: [] });
    expect((await api.call("/api/v1/acme", api.readKey, { method: "PUT", body: JSON.stringify({ dnsDomains: ["lab.example.com"] }) })).status).toBe(403);
    const bad = await api.call("/api/v1/acme", api.adminKey, { method: "PUT", body: JSON.stringify({ dnsDomains: ["not a domain"] }) });
    expect(bad.status).toBe(400);
    const ok = await api.call("/api/v1/acme", api.adminKey, { method: "PUT", body: JSON.stringify({ dnsDomains: ["Lab.Example.com."] }) });
    expect((await ok.json()).dnsDomains).toEqual(["lab.example.com"]);
  });

  it("imports serial numbers from JSON and CSV, refuses a bad row, lists and removes them", async () => {
    expect((await api.call("/api/v1/acme/registered-devices", api.readKey, { method: "POST", body: JSON.stringify({ serialNumbers: ["C02AAA1111"] }) })).status).toBe(403);
    const json = await api.call("/api/v1/acme/registered-devices", api.adminKey, { method: "POST", body: JSON.stringify({ serialNumbers: ["c02aaa1111", "C02AAA2222"] }) });
    expect(await json.json()).toEqual({ added: 2, alreadyPresent: 0 });
    const csv = await api.call("/api/v1/acme/registered-devices", api.adminKey, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: 'Serial Number,Note\r\nC02AAA2222,again\r\n"C02AAA3333",Finance laptop\r\n',
    });
    expect(await csv.json()).toEqual({ added: 1, alreadyPresent: 1 });
    const bad = await api.call("/api/v1/acme/registered-devices", api.adminKey, { method: "POST", headers: { "content-type": "text/csv" }, body: "C02AAA4444\n=cmd|' /C calc'!A0\n" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/row 2/);
    const list = await (await api.call("/api/v1/acme/registered-devices", api.readKey)).json();
    expect(list.total).toBe(3);
    expect(list.items.map((i: { serialNumber: string }) => i.serialNumber).sort()).toEqual(["C02AAA1111", "C02AAA2222", "C02AAA3333"]);
    expect(list.items.find((i: { serialNumber: string }) => i.serialNumber === "C02AAA3333").note).toBe("Finance laptop");
    expect((await api.call("/api/v1/acme/registered-devices/C02AAA1111", api.adminKey, { method: "DELETE" })).status).toBe(200);
    expect((await api.call("/api/v1/acme/registered-devices/C02AAA1111", api.adminKey, { method: "DELETE" })).status).toBe(404);
    for (const body of ["", "{", "[]", JSON.stringify({ serialNumbers: [] }), JSON.stringify({ serialNumbers: [42] })]) {
      const r = await api.call("/api/v1/acme/registered-devices", api.adminKey, { method: "POST", body });
      expect(r.status).toBe(400);
    }
  });

  it("lists an attested issuance with what Apple attested", async () => {
    const root = makeTestAttestationRoot();
    process.env.ATTESTATION_TEST_ROOTS_PEM = root.rootPem;
    await api.call("/api/v1/acme/registered-devices", api.adminKey, { method: "POST", body: JSON.stringify({ serialNumbers: ["C02BBB0001"] }) });
    const c = new AcmeClient(api.server.url, PUBLIC_URL);
    await c.newAccount();
    const order = await c.newOrder([{ type: "permanent-identifier", value: "C02BBB0001" }]);
    const { challenge } = await c.firstChallenge(order);
    const key = deviceKey();
    const udid = `00008112-${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
    expect(
      (await c.post(challenge.url, deviceAttestPayload(root, challenge.token, { serialNumber: "C02BBB0001", udid, osVersion: "14.5", sepOsVersion: "23.5", publicKey: key.publicKey }))).body.status,
    ).toBe("valid");
    expect((await c.post(order.body.finalize as string, { csr: opensslCsr(key.privateKey, "/CN=x").toString("base64url") })).body.status).toBe("valid");
    const list = await (await api.call("/api/v1/acme/issuances", api.readKey)).json();
    expect(list.issuances).toHaveLength(1);
    expect(list.issuances[0]).toMatchObject({ identifier: "C02BBB0001", serialNumber: "C02BBB0001", udid, osVersion: "14.5", sepOsVersion: "23.5", revoked: false });
  });
});
