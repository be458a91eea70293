// Attestation on demand: "Request attestation" queues DeviceInformation with
// DevicePropertiesAttestation and a fresh 32-byte DeviceAttestationNonce; the device stand-in
// answers with a chain from the test attestation root (configured as ATTESTATION_TEST_ROOTS_PEM),
// and the device detail shows it hardware-attested, or flagged with the reason.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { validateCommand } from "@/lib/profiles/appleSchema";
import { startAdminApi, type AdminApi } from "@/test/helpers/adminApi";
import { makeAppleAttestationChain, makeTestAttestationRoot, type TestAttestationRoot } from "@/test/helpers/fakeAppleAttestation";
import type { RouteServer } from "@/test/helpers/routeServer";
import { issueIdentity, randomUdid, simDevice } from "./helpers";

let api: AdminApi;
let topic: string;
let root: TestAttestationRoot;

beforeAll(async () => {
  root = makeTestAttestationRoot();
  process.env.ATTESTATION_TEST_ROOTS_PEM = root.rootPem;
  api = await startAdminApi("attest", {
    "/mdm/checkin": import("@/app/mdm/checkin/route"),
    "/mdm/connect": import("@/app/mdm/connect/route"),
    "/api/v1/devices/[udid]": import("@/app/api/v1/devices/[udid]/route"),
    "/api/v1/devices/[udid]/actions/[action]": import("@/app/api/v1/devices/[udid]/actions/[action]/route"),
  });
  topic = await currentMdmTopic();
});
afterAll(async () => {
  delete process.env.ATTESTATION_TEST_ROOTS_PEM;
  await api?.close();
});

type Answer = (nonce: Uint8Array | null, sim: { udid: string; serialNumber: string }) => Uint8Array[];
const devKey = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey;
/** What a real device does: the freshness code is the DeviceAttestationNonce itself. */
const honest =
  (r: TestAttestationRoot = root): Answer =>
  (nonce, sim) =>
    makeAppleAttestationChain(r, { serialNumber: sim.serialNumber, udid: sim.udid, osVersion: "17.4", sepOsVersion: "17.4", freshness: Buffer.from(nonce ?? []), publicKey: devKey });

async function enrolled(answer: Answer, productName = "iPhone15,2") {
  const udid = randomUdid();
  const id = await issueIdentity(`CN=${udid}`);
  let sim: Awaited<ReturnType<typeof simDevice>> | null = null;
  sim = await simDevice(api.server as RouteServer, topic, id, { udid, productName, osVersion: "17.4", buildVersion: "21E236", attestation: (n) => answer(n, sim!) });
  await sim.enrollMdm();
  return sim;
}

const detail = async (udid: string) => (await (await api.call(`/api/v1/devices/${udid}`, api.adminKey)).json()) as { actions: string[]; attestation: Record<string, unknown> | null };
const request = (udid: string) => api.call(`/api/v1/devices/${udid}/actions/request-attestation`, api.adminKey, { method: "POST" });
const lastAttestationLine = (udid: string) => api.db.client.enrollmentLog.findFirst({ where: { deviceIdentifier: udid, step: "attestation" }, orderBy: [{ time: "desc" }, { id: "desc" }] });

describe("attestation on demand", () => {
  it("requests with a fresh nonce, verifies the answer, and shows the device hardware-attested", async () => {
    const sim = await enrolled(honest());
    expect((await detail(sim.udid)).actions).toContain("request-attestation");
    expect((await detail(sim.udid)).attestation).toBeNull();
    expect((await request(sim.udid)).status).toBe(201);
    expect((await detail(sim.udid)).attestation).toMatchObject({ pending: true, status: null });
    const [cmd] = await sim.pollCommands();
    expect(cmd).toMatchObject({ requestType: "DeviceInformation", status: "Acknowledged" });
    expect(validateCommand("DeviceInformation", { CommandUUID: cmd.uuid, Command: cmd.command })).toEqual([]);
    const nonce = cmd.command.DeviceAttestationNonce as Uint8Array;
    expect(nonce).toBeInstanceOf(Uint8Array);
    expect(nonce.length).toBe(32);
    expect(cmd.command.Queries).toContain("DevicePropertiesAttestation");
    const a = (await detail(sim.udid)).attestation;
    expect(a).toMatchObject({ status: "verified", pending: false, serialNumber: sim.serialNumber, udid: sim.udid, osVersion: "17.4", sepOsVersion: "17.4", cached: false });
    expect(typeof a?.attestedAt).toBe("string");
    expect((await lastAttestationLine(sim.udid))?.message).toContain("Hardware attestation verified");

    // A second request within Apple's 7-day limit: the device returns its cached attestation (the first nonce).
    expect((await request(sim.udid)).status).toBe(201);
    const cachedSim = sim as unknown as { opts: { attestation: (n: Uint8Array | null) => Uint8Array[] } };
    cachedSim.opts.attestation = () => honest()(nonce, sim);
    await sim.pollCommands();
    expect((await detail(sim.udid)).attestation).toMatchObject({ status: "verified", cached: true });
  });

  it("flags a freshness code that is not our nonce (SHA-256 of it, as ACME would have it)", async () => {
    const sim = await enrolled((n, s) => honest()(n ? crypto.createHash("sha256").update(n).digest() : null, s));
    await request(sim.udid);
    await sim.pollCommands();
    expect((await detail(sim.udid)).attestation).toMatchObject({ status: "failed" });
    const line = await lastAttestationLine(sim.udid);
    expect(line).toMatchObject({ outcome: "ERROR", reason: "attestation_failed" });
    expect(line?.message).toContain("attestation-nonce");
  });

  it("flags a chain that does not end at the configured root", async () => {
    const sim = await enrolled(honest(makeTestAttestationRoot("Rogue Attestation Root")));
    await request(sim.udid);
    await sim.pollCommands();
    expect((await detail(sim.udid)).attestation).toMatchObject({ status: "failed" });
    expect((await lastAttestationLine(sim.udid))?.message).toContain("attestation-chain");
  });

  it("flags an attested serial that differs from the device's record", async () => {
    const sim = await enrolled((n, s) => honest()(n, { ...s, serialNumber: "C02OTHERSERIAL" }));
    await request(sim.udid);
    await sim.pollCommands();
    const a = (await detail(sim.udid)).attestation;
    expect(a).toMatchObject({ status: "mismatch" });
    expect(a?.problem).toContain("serial C02OTHERSERIAL attested");
    expect((await lastAttestationLine(sim.udid))?.reason).toBe("attestation_mismatch");
  });

  it("does not offer it to a model that cannot attest (iPhone 7, A10)", async () => {
    const sim = await enrolled(honest(), "iPhone9,1");
    expect((await detail(sim.udid)).actions).not.toContain("request-attestation");
    expect((await request(sim.udid)).status).toBe(409);
  });
});
