// GetToken com.apple.maid (Managed Apple Account access management): the token is a JWT with
// Apple's claims (iss = the ABM server UUID, iat, jti, service_type), signed with the key of the
// certificate the admin uploads to Apple Business Manager. It is verified here with jose against
// the published certificate and, independently, with OpenSSL.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { decodeProtectedHeader, importX509, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";
import { downloadEnrollmentProfile } from "@/lib/enrollment/otaService";
import { verifySignedData } from "@/lib/pki/cms";
import { parsePlistStrict } from "@/lib/plist/plist";
import { validateCheckin } from "@/lib/profiles/appleSchema";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { startAdminApi, type AdminApi } from "@/test/helpers/adminApi";
import type { RouteServer } from "@/test/helpers/routeServer";
import { issueIdentity, randomUdid, simDevice } from "./helpers";

let api: AdminApi;
let topic: string;
const SERVER_UUID = "7D3A1C52-9B0E-4F6A-8C21-5E4D3B2A1F00";

beforeAll(async () => {
  api = await startAdminApi("maid", {
    "/mdm/checkin": import("@/app/mdm/checkin/route"),
    "/mdm/connect": import("@/app/mdm/connect/route"),
    "/api/v1/settings/managed-apple-accounts": import("@/app/api/v1/settings/managed-apple-accounts/route"),
  });
  topic = await currentMdmTopic();
});
afterAll(async () => {
  await api?.close();
});

async function enrolled() {
  const udid = randomUdid();
  const sim = await simDevice(api.server as RouteServer, topic, await issueIdentity(`CN=${udid}`), { udid });
  await sim.enrollMdm();
  return sim;
}

const getToken = (udid: string, service = "com.apple.maid") => ({ MessageType: "GetToken", TokenServiceType: service, UDID: udid });

describe("GetToken com.apple.maid", () => {
  it("is refused (400, logged with the fix) until the server UUID is configured", async () => {
    const sim = await enrolled();
    expect(validateCheckin("GetToken", getToken(sim.udid))).toEqual([]);
    const r = await sim.checkin(getToken(sim.udid));
    expect(r.status).toBe(400);
    const line = await api.db.client.enrollmentLog.findFirst({ where: { deviceIdentifier: sim.udid, reason: "maid_token_unavailable" } });
    expect(line?.message).toContain("no server UUID is configured");
  });

  it("returns a token that verifies with the published certificate and carries Apple's claims", async () => {
    expect((await api.call("/api/v1/settings/managed-apple-accounts", api.adminKey, { method: "PUT", body: JSON.stringify({ serverUuid: "not-a-uuid" }) })).status).toBe(400);
    const put = await api.call("/api/v1/settings/managed-apple-accounts", api.adminKey, { method: "PUT", body: JSON.stringify({ serverUuid: SERVER_UUID.toLowerCase() }) });
    expect(put.status).toBe(200);
    const settings = (await (await api.call("/api/v1/settings/managed-apple-accounts", api.adminKey)).json()) as { serverUuid: string; certificatePem: string };
    expect(settings.serverUuid).toBe(SERVER_UUID);
    expect(settings.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);

    const sim = await enrolled();
    const before = Math.floor(Date.now() / 1000);
    const r = await sim.checkin(getToken(sim.udid));
    expect(r.status).toBe(200);
    const answer = parsePlistStrict(r.body) as { TokenData: Uint8Array };
    expect(answer.TokenData).toBeInstanceOf(Uint8Array);
    const jwt = new TextDecoder().decode(answer.TokenData);

    expect(decodeProtectedHeader(jwt).alg).toBe("RS256");
    const { payload } = await jwtVerify(jwt, await importX509(settings.certificatePem, "RS256"), { issuer: SERVER_UUID });
    expect(payload.service_type).toBe("com.apple.maid");
    expect(payload.jti).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(payload.iat).toBeGreaterThanOrEqual(before - 1);
    expect(Object.keys(payload).sort()).toEqual(["iat", "iss", "jti", "service_type"]);

    // OpenSSL, independently: RSA-SHA256 over "header.payload" with the certificate's key.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "maid-"));
    try {
      const [h, p, sig] = jwt.split(".");
      fs.writeFileSync(path.join(dir, "cert.pem"), settings.certificatePem);
      fs.writeFileSync(path.join(dir, "pub.pem"), execFileSync("openssl", ["x509", "-in", path.join(dir, "cert.pem"), "-noout", "-pubkey"]));
      fs.writeFileSync(path.join(dir, "data"), `${h}.${p}`);
      fs.writeFileSync(path.join(dir, "sig"), Buffer.from(sig, "base64url"));
      const out = execFileSync("openssl", ["dgst", "-sha256", "-verify", path.join(dir, "pub.pem"), "-signature", path.join(dir, "sig"), path.join(dir, "data")]).toString();
      expect(out).toContain("Verified OK");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    // A fresh jti every time: Apple uses it to accept each token once.
    const again = parsePlistStrict((await sim.checkin(getToken(sim.udid))).body) as { TokenData: Uint8Array };
    const { payload: second } = await jwtVerify(new TextDecoder().decode(again.TokenData), await importX509(settings.certificatePem, "RS256"));
    expect(second.jti).not.toBe(payload.jti);
  });

  it("answers a service type it does not serve with 400", async () => {
    const sim = await enrolled();
    expect((await sim.checkin(getToken(sim.udid, "com.apple.watch.pairing"))).status).toBe(400);
  });

  it("is advertised in OTA enrollment profiles (ServerCapabilities com.apple.mdm.token)", async () => {
    const { jwt } = await createEnrollmentToken({ name: "Caps", expiresIn: "7d" });
    const dl = await downloadEnrollmentProfile(jwt);
    if (!dl.ok) throw new Error(dl.reason);
    const top = parsePlistStrict((await verifySignedData(dl.body)).content) as { PayloadContent: { PayloadType: string; ServerCapabilities?: string[] }[] };
    const mdm = top.PayloadContent.find((p) => p.PayloadType === "com.apple.mdm");
    expect(mdm?.ServerCapabilities).toContain("com.apple.mdm.token");
  });
});
