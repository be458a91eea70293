// Several instances on one database, for real: two servers started as `npm start` does
// (bench/server.ts: scripts/start.ts, serve.mjs), A with two workers and B with one, on one
// PostgreSQL database (TEST_DATABASE=postgres) or one SQLite file. Requests alternate between
// them, as a load balancer would send them, and each shared rule must hold across all three
// workers: a token's max uses under concurrent downloads, a one-time SCEP challenge used
// once, a refresh token rotated once, each queued command delivered and answered once,
// brute-force lockouts counted together, and each scheduled job slot run by one instance.
// Both servers trust one proxy (TRUST_PROXY=true): this test is that proxy, and names the
// client in X-Forwarded-For.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "@/bench/server";
import { PkiStatus } from "@/lib/scep/message";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { ScepClientError, scepEnroll } from "@/test/helpers/scepClient";
import { EnrollBrowser } from "@/test/ota/browser";
import type { SimDevice as SimDeviceType } from "@/test/sim/device";

const BASE_PORT = Number(process.env.SCALE_TEST_PORT ?? 3331);
const URL_A = `http://127.0.0.1:${BASE_PORT}`;
const URL_B = `http://127.0.0.1:${BASE_PORT + 1}`;
const BOTH = [URL_A, URL_B];
// The servers' public URL, so tokens minted here and checked there agree (set before config() is read).
process.env.PUBLIC_URL = URL_A;

let t: TestDb;
let dataDir: string;
const servers: RunningServer[] = [];
const output: Record<string, string[]> = { A: [], B: [] };

beforeAll(async () => {
  t = await createTestDb();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "enroll-two-instances-"));
  const env = (workers: number): Record<string, string> => ({
    DATABASE_URL: t.url,
    DATA_DIR: dataDir,
    MDM_SECRET: process.env.MDM_SECRET!,
    PUBLIC_URL: URL_A,
    WORKERS: String(workers),
    TRUST_PROXY: "true",
    ALLOW_ENROLL_WITHOUT_PUSH: "true",
    LOG_LEVEL: "info",
    // Vitest's marker would keep instrumentation.ts from starting the scheduled jobs.
    VITEST: "",
  });
  // One after the other: the first applies nothing (the schema is in place) but creates the CA and keys.
  servers.push(await startServer(env(2), { port: BASE_PORT, log: (l) => output.A.push(l) }));
  servers.push(await startServer(env(1), { port: BASE_PORT + 1, log: (l) => output.B.push(l) }));
}, 30 * 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await t?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const from = (client: string) => ({ "x-forwarded-for": client });

describe("two server instances on one database", { timeout: 180_000 }, () => {
  it("hands out no more uses of a token than its maximum under concurrent downloads to both", async () => {
    const { createEnrollmentToken } = await import("@/lib/enrollment/tokens");
    const { id, jwt } = await createEnrollmentToken({ name: "Two instances", expiresIn: "7d", maxUses: 3 });
    // Twelve browsers (no shared cookies) tap Download at once, six on each instance.
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => new EnrollBrowser(() => BOTH[i % 2]).tapDownload(jwt).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.every((s) => s < 500)).toBe(true);
    const row = await t.client.enrollmentToken.findUniqueOrThrow({ where: { id } });
    expect(row.claimedCount).toBe(3);
    expect(await t.client.enrollmentReservation.count({ where: { tokenId: id } })).toBe(3);
  });

  it("accepts a one-time SCEP challenge once when it is sent to both at the same moment", async () => {
    const { createScepProfile } = await import("@/lib/scep/profiles");
    const created = await createScepProfile({ name: "two-instances-ndes", challengeType: "NDES", ndesUsername: "jamf" });
    const auth = `Basic ${Buffer.from(`jamf:${created.ndesPassword}`).toString("base64")}`;
    const page = await fetch(`${URL_B}/ndes/${created.profile.id}`, { headers: { authorization: auth } });
    expect(page.status).toBe(200);
    const challenge = /password is: <B> ([A-F0-9]{16}) <\/B>/.exec(Buffer.from(await page.arrayBuffer()).toString("utf16le"))?.[1];
    expect(challenge).toBeTruthy();
    const results = await Promise.allSettled(BOTH.map((u, i) => scepEnroll({ url: `${u}/scep/${created.profile.id}`, challenge, subject: `CN=two-instances-${i}` })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(ScepClientError);
    expect((refused.reason as ScepClientError).pkiStatus).toBe(PkiStatus.FAILURE);
  });

  it("rotates a refresh token once when the same one is presented to both at once", async () => {
    const { updateAddeSettings } = await import("@/lib/enrollment/addeSettings");
    const { createRoute } = await import("@/lib/enrollment/routes");
    const { putUser } = await import("@/lib/enrollment/users");
    const { issueAuthorizationCode } = await import("@/lib/enrollment/oauth");
    const clientId = "enroll-devices";
    const redirectUri = "apple-remotemanagement-user-login:/oauth2/redirection";
    await updateAddeSettings({ authMethod: "oauth2", oauthClientId: clientId });
    await createRoute({ domain: "example.com", version: "mdm-byod" });
    const { user } = await putUser("rotating@example.com", { password: "rotating-password-1" });
    const code = await issueAuthorizationCode(user.id, {
      kind: "oauth",
      version: "mdm-byod",
      identifier: "rotating@example.com",
      clientId,
      redirectUri,
      codeChallenge: null,
      state: null,
      scope: "mdm-byod",
    });
    const token = async (base: string, data: Record<string, string>) => {
      const res = await fetch(`${base}/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: clientId, ...data }).toString(),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const first = await token(URL_A, { grant_type: "authorization_code", code, redirect_uri: redirectUri });
    expect(first.status).toBe(200);
    const refresh = first.body.refresh_token as string;
    // A device whose answer got lost retries on the other instance while the first is running.
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => token(BOTH[i % 2], { grant_type: "refresh_token", refresh_token: refresh })));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    const successors = new Set(answers.map((a) => a.body.refresh_token));
    expect(successors.size).toBe(1);
    const [successor] = successors as Set<string>;
    expect(successor).not.toBe(refresh);
    // One rotation: the family holds the first pair and one successor pair, none revoked.
    const family = await t.client.accessToken.findMany({ where: { userId: user.id, kind: "REFRESH" } });
    expect(family).toHaveLength(2);
    expect(family.every((r) => r.revokedAt === null)).toBe(true);
    expect((await token(URL_B, { grant_type: "refresh_token", refresh_token: successor })).status).toBe(200);
  });

  it("delivers each queued command once and records each answer once, with every request going to either instance", async () => {
    const { SimDevice } = await import("@/test/sim/device");
    const { issueCertificate } = await import("@/lib/pki/certificates");
    const { generateRsaKeyPair, publicKeyInfoFromPem } = await import("@/lib/pki/keys");
    const { currentMdmTopic } = await import("@/lib/settings/mdmEndpoints");
    const { enqueueCommands } = await import("@/lib/mdm/commands");
    const topic = await currentMdmTopic();
    const keys = await generateRsaKeyPair(2048);
    const sims: SimDeviceType[] = [];
    for (let i = 0; i < 4; i++) {
      const udid = `00008140-00000000000000${i.toString().padStart(2, "0")}`;
      const { der } = await issueCertificate({ publicKeyInfo: publicKeyInfoFromPem(keys.publicPem), subject: `CN=${udid}`, validityDays: 30, keyUsage: 5 });
      const sim = new SimDevice({ udid, topic, checkInUrl: `${BOTH[i % 2]}/mdm/checkin`, serverUrl: `${BOTH[i % 2]}/mdm/connect` });
      await sim.useIdentity({ certDer: der, privateKeyPem: keys.privatePem });
      expect((await sim.authenticate()).status).toBe(200);
      sim.checkInUrl = `${BOTH[(i + 1) % 2]}/mdm/checkin`;
      expect((await sim.tokenUpdate()).status).toBe(200);
      sims.push(sim);
    }
    const queued = new Map<string, string[]>();
    for (const sim of sims) {
      const device = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
      queued.set(
        sim.udid,
        await enqueueCommands(
          device.id,
          Array.from({ length: 5 }, () => ({ requestType: "ProfileList" })),
          { push: false },
        ),
      );
    }
    // Each device polls as a device does (one request at a time), every request to the other instance.
    const delivered = await Promise.all(
      sims.map(async (sim, i) => {
        const got: string[] = [];
        let turn = i;
        const next = () => (sim.serverUrl = `${BOTH[turn++ % 2]}/mdm/connect`);
        next();
        let r = await sim.report({ Status: "Idle" });
        while (r.command) {
          const handled = await sim.execute(r.command);
          got.push(handled.uuid);
          next();
          r = await sim.report({ Status: handled.status, CommandUUID: handled.uuid, ...handled.response });
        }
        expect(r.status).toBe(200);
        return got;
      }),
    );
    for (const [i, sim] of sims.entries()) expect(delivered[i]).toEqual(queued.get(sim.udid));
    const all = [...queued.values()].flat();
    expect(await t.client.command.count({ where: { uuid: { in: all }, status: "ACKNOWLEDGED" } })).toBe(all.length);
  });

  it("counts wrong NDES passwords from one client on both instances together, and not against another client", async () => {
    const { createScepProfile } = await import("@/lib/scep/profiles");
    const { NDES_MAX_FAILURES } = await import("@/lib/scep/ndes");
    const created = await createScepProfile({ name: "two-instances-lockout", challengeType: "NDES", ndesUsername: "jamf" });
    const get = (base: string, password: string, client: string) =>
      fetch(`${base}/ndes/${created.profile.id}`, { headers: { authorization: `Basic ${Buffer.from(`jamf:${password}`).toString("base64")}`, ...from(client) } }).then((r) => r.status);
    // The guesser also rotates what it puts in front of X-Forwarded-For; the proxy's hop is what counts.
    for (let i = 0; i < NDES_MAX_FAILURES; i++) expect(await get(BOTH[i % 2], `guess-${i}`, `10.9.${i}.1, 203.0.113.80`)).toBe(401);
    expect(await get(URL_A, created.ndesPassword!, "203.0.113.80")).toBe(429);
    expect(await get(URL_B, created.ndesPassword!, "203.0.113.80")).toBe(429);
    expect(await get(URL_B, created.ndesPassword!, "198.51.100.80")).toBe(200);
  });

  it("locks local sign-in for an account across both instances, only for the address that failed", async () => {
    const { putUser } = await import("@/lib/enrollment/users");
    const { LOCAL_MAX_FAILURES } = await import("@/lib/enrollment/userSignIn");
    await putUser("locked@example.com", { password: "locked-password-1" });
    const signIn = async (base: string, password: string, client: string) => {
      const res = await fetch(`${base}/authenticate/local`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", ...from(client) },
        body: new URLSearchParams({ identifier: "locked@example.com", mode: "byod", password }).toString(),
      });
      return res.headers.get("location") ? new URL(res.headers.get("location")!).searchParams.get("error") : `status ${res.status}`;
    };
    for (let i = 0; i < LOCAL_MAX_FAILURES; i++) expect(await signIn(BOTH[i % 2], `wrong-${i}`, "203.0.113.90")).toBe("invalid_credentials");
    expect(await signIn(URL_A, "locked-password-1", "203.0.113.90")).toBe("too_many_attempts");
    expect(await signIn(URL_B, "locked-password-1", "203.0.113.90")).toBe("too_many_attempts");
    // The account's owner, elsewhere, is not locked out by someone else's guesses.
    expect(await signIn(URL_B, "locked-password-1", "198.51.100.90")).toBeNull();
  });

  it("runs each scheduled job slot on one instance only", { timeout: 240_000 }, async () => {
    // Both instances start the hourly jobs a minute after they start; wait until both tried.
    const lines = () =>
      Object.entries(output).flatMap(([server, ls]) =>
        ls.flatMap((l) => {
          try {
            const j = JSON.parse(l) as { msg?: string; job?: string; slot?: number };
            return j.job === "hourly" && /^scheduled job (running|skipped)/.test(j.msg ?? "") ? [{ server, ran: j.msg!.includes("running"), slot: j.slot }] : [];
          } catch {
            return [];
          }
        }),
      );
    const deadline = Date.now() + 200_000;
    while (new Set(lines().map((l) => l.server)).size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
    const seen = lines();
    expect(new Set(seen.map((l) => l.server))).toEqual(new Set(["A", "B"]));
    for (const slot of new Set(seen.map((l) => l.slot))) expect(seen.filter((l) => l.slot === slot && l.ran)).toHaveLength(1);
  });
});
