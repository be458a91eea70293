// Brute force on the NDES challenge URL's basic auth: after NDES_MAX_FAILURES wrong passwords
// from one address for one profile, even the right one gets 429 with Retry-After.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { createScepProfile } from "@/lib/scep/profiles";
import { NDES_MAX_FAILURES } from "@/lib/scep/ndes";
import { startScepServer } from "../scep/tools";

let t: TestDb;
let server: RouteServer;

beforeAll(async () => {
  t = await createTestDb();
  server = await startScepServer();
});
afterAll(async () => {
  await server.close();
  await t.close();
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("NDES basic-auth throttle", () => {
  it("answers 429 after repeated wrong passwords, logs it, and leaves other profiles alone", async () => {
    const target = await createScepProfile({ name: "ndes-target", challengeType: "NDES", ndesUsername: "jamf" });
    const other = await createScepProfile({ name: "ndes-other", challengeType: "NDES", ndesUsername: "jamf" });
    const get = (id: string, authorization: string) => fetch(`${server.url}/ndes/${id}`, { headers: { authorization } });
    for (let i = 0; i < NDES_MAX_FAILURES; i++) expect((await get(target.profile.id, basic("jamf", `guess-${i}`))).status).toBe(401);
    const blocked = await get(target.profile.id, basic("jamf", target.ndesPassword!));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await blocked.json()).toMatchObject({ error: "too_many_attempts" });
    const refused = await t.client.enrollmentLog.findMany({ where: { step: "scep", reason: "ndes_auth_failed", message: { contains: "refused" } } });
    expect(refused.length).toBe(1);
    expect(JSON.stringify(refused)).not.toContain(target.ndesPassword!);
    expect((await get(other.profile.id, basic("jamf", other.ndesPassword!))).status).toBe(200);
  });
});
