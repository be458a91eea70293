// Crash safety (issue 18): the real server (scripts/start.ts → serve.mjs → two workers, SQLite
// in a temporary DATA_DIR) is SIGKILLed, every process at once, in the middle of concurrent
// profile downloads, SCEP enrollments and check-ins. After a restart nothing an answered 200
// committed is lost, the token's use count is neither lost nor counted twice, and SQLite's
// integrity_check is ok. The restarted server also answers malformed paths and callbackUrls
// with 400 (scripts/serve.mjs, app/api/auth).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "@/bench/server";

const PORT = 3352 + (Number(process.env.VITEST_POOL_ID ?? 0) % 4);
const URL_ = `http://127.0.0.1:${PORT}`;
// Before any lib/ module reads its configuration: the token links and SCEP URLs name this server.
process.env.PUBLIC_URL = URL_;

const CHALLENGE = "crash-static-challenge-0123456789";
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "enroll-crash-"));
const dbFile = path.join(dataDir, "enroll.db");
const serverEnv = {
  DATA_DIR: dataDir,
  PUBLIC_URL: URL_,
  MDM_SECRET: process.env.MDM_SECRET ?? "",
  WORKERS: "2",
  LOG_LEVEL: "error",
  ALLOW_ENROLL_WITHOUT_PUSH: "true",
};

let server: RunningServer | null = null;
let closeDb: (() => Promise<void>) | null = null;

async function start(): Promise<RunningServer> {
  // A first start may build the app (minutes); the build is the one Playwright then reuses.
  return startServer(serverEnv, { port: PORT, detached: true });
}

/** Counts per kind: answered 200 (committed), answered otherwise, or cut off by the kill (unknown). */
interface Tally {
  ok: number;
  refused: number;
  cut: number;
}

// The server here always runs on SQLite: the PostgreSQL pass of CI (TEST_DATABASE=postgres) skips it.
describe.skipIf(process.env.TEST_DATABASE === "postgres")("SIGKILL during load", () => {
  beforeAll(async () => {
    server = await start();
    // This process seeds and reads the server's own database file.
    const { createClient, setDb } = await import("@/lib/db/client");
    const url = `file:${dbFile}`;
    const client = createClient(url);
    setDb(url, client);
    closeDb = () => client.$disconnect();
  }, 30 * 60_000);

  afterAll(async () => {
    await server?.stop();
    await closeDb?.();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("loses nothing that was answered, counts each token use once and keeps the database intact", async () => {
    const { db } = await import("@/lib/db/client");
    const { createEnrollmentToken } = await import("@/lib/enrollment/tokens");
    const { createScepProfile } = await import("@/lib/scep/profiles");
    const { currentMdmTopic } = await import("@/lib/settings/mdmEndpoints");
    const { issueCertificate } = await import("@/lib/pki/certificates");
    const { publicKeyInfoFromPem } = await import("@/lib/pki/keys");
    const { sha256Fingerprint } = await import("@/lib/pki/der");
    const { buildCsr, buildPkiMessage, getScepCerts, readCertRep, selfSigned } = await import("@/test/helpers/scepClient");
    const { SimDevice } = await import("@/test/sim/device");
    const { buildPlist } = await import("@/lib/plist/plist");

    // One key pair for every client here: key generation is the clients' cost, not what is tested.
    const keys = crypto.generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const token = await createEnrollmentToken({
      name: "crash",
      expiresIn: "never",
      maxUses: 0,
    });
    const profileUrl = `${URL_}/enroll/profile?token=${encodeURIComponent(token.jwt)}`;
    const { profile } = await createScepProfile({
      name: "crash",
      challengeType: "STATIC",
      staticChallenge: CHALLENGE,
      subjectTemplate: "CN=$UDID,O=Crash",
    });
    const scepUrl = `${URL_}/scep/${profile.id}`;
    const { raDer } = await getScepCerts(scepUrl);
    const signer = await selfSigned("CN=crash-client", keys.privateKey, keys.publicKey);
    const scepRequests = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const csrDer = await buildCsr(`CN=crash-${i},O=Crash`, keys.privateKey, keys.publicKey, CHALLENGE);
        return buildPkiMessage({
          csrDer,
          recipientCertDer: raDer,
          signerCertDer: signer,
          signerKeyPem: keys.privateKey,
        });
      }),
    );
    const topic = await currentMdmTopic();
    const devices = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const udid = `CRASH-${String(i).padStart(4, "0")}-${crypto.randomBytes(4).toString("hex").toUpperCase()}`;
        // Issued for the token link, as its SCEP step would: the first Authenticate spends a use.
        const { der } = await issueCertificate({
          publicKeyInfo: publicKeyInfoFromPem(keys.publicKey),
          subject: `CN=${udid},O=Crash`,
          validityDays: 30,
          keyUsage: 5,
          enrollmentTokenId: token.id,
          userId: null,
        });
        const sim = new SimDevice({
          checkInUrl: `${URL_}/mdm/checkin`,
          serverUrl: `${URL_}/mdm/connect`,
          topic,
          udid,
        });
        await sim.useIdentity({ certDer: der, privateKeyPem: keys.privateKey });
        const sign = async (m: Parameters<typeof buildPlist>[0]) => {
          const body = new TextEncoder().encode(buildPlist(m));
          return { body, sig: await sim.sign(body) };
        };
        return {
          udid,
          authenticate: await sign(sim.authenticateMessage()),
          tokenUpdate: await sign(sim.tokenUpdateMessage()),
        };
      }),
    );

    const downloads: Tally = { ok: 0, refused: 0, cut: 0 };
    const scep: Tally & { issued: string[] } = {
      ok: 0,
      refused: 0,
      cut: 0,
      issued: [],
    };
    const checkins: Tally & {
      authenticated: string[];
      tokenUpdated: string[];
    } = { ok: 0, refused: 0, cut: 0, authenticated: [], tokenUpdated: [] };
    let killed = false;
    const put = (route: string, m: { body: Uint8Array; sig: string }) =>
      fetch(`${URL_}${route}`, {
        method: "PUT",
        headers: {
          "content-type": "application/x-apple-aspen-mdm-checkin",
          "mdm-signature": m.sig,
        },
        body: Buffer.from(m.body),
      });

    /** Runs `step` until the kill, `concurrency` at a time; each step's outcome goes to its tally. */
    const load = (concurrency: number, step: (i: number) => Promise<"ok" | "refused" | "done">, tally: Tally) => {
      let next = 0;
      return Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (!killed) {
            try {
              const r = await step(next++);
              if (r === "done") return;
              tally[r]++;
            } catch {
              // No answer: the kill cut the request off (committed or not, nobody was told).
              tally.cut++;
            }
          }
        }),
      );
    };

    const running = Promise.all([
      load(
        4,
        async () => {
          const res = await fetch(profileUrl, {
            headers: {
              "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)",
            },
          });
          await res.arrayBuffer();
          return res.status === 200 ? "ok" : "refused";
        },
        downloads,
      ),
      load(
        3,
        async (i) => {
          if (i >= scepRequests.length) return "done";
          const req = scepRequests[i];
          const res = await fetch(`${scepUrl}?operation=PKIOperation`, {
            method: "POST",
            headers: { "content-type": "application/x-pki-message" },
            body: Buffer.from(req.body),
          });
          const body = new Uint8Array(await res.arrayBuffer());
          if (res.status !== 200) return "refused";
          const rep = readCertRep(body, raDer, signer, keys.privateKey);
          if (!rep.certDer) return "refused";
          scep.issued.push(sha256Fingerprint(rep.certDer));
          return "ok";
        },
        scep,
      ),
      load(
        3,
        async (i) => {
          const d = devices[i >> 1];
          if (!d) return "done";
          const first = i % 2 === 0;
          const res = await put("/mdm/checkin", first ? d.authenticate : d.tokenUpdate);
          await res.arrayBuffer();
          if (res.status !== 200) return "refused";
          (first ? checkins.authenticated : checkins.tokenUpdated).push(d.udid);
          return "ok";
        },
        checkins,
      ),
    ]);

    // Kill once every kind has committed some work (so some of each is in flight), or after 20 s.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (downloads.ok < 10 || scep.ok < 5 || checkins.ok < 10)) await new Promise((r) => setTimeout(r, 50));
    killed = true;
    const killing = server?.killAll?.();
    if (!killing) throw new Error("the server was not started detached");
    await killing;
    await running;
    process.stdout.write(
      `crash safety: killed after ${downloads.ok} downloads, ${scep.ok} SCEP enrollments, ${checkins.ok} check-ins answered (cut off: ${downloads.cut}, ${scep.cut}, ${checkins.cut})\n`,
    );
    expect(downloads.ok, "profile downloads answered before the kill").toBeGreaterThan(0);
    expect(scep.ok, "SCEP enrollments answered before the kill").toBeGreaterThan(0);
    expect(checkins.ok, "check-ins answered before the kill").toBeGreaterThan(0);

    // The file as the kill left it (opening it replays the WAL, as the next start does).
    const raw = new Database(dbFile);
    expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
    raw.close();

    server = await start();
    const row = await db().enrollmentToken.findUniqueOrThrow({
      where: { id: token.id },
    });
    const reservations = await db().enrollmentReservation.findMany({
      where: { tokenId: token.id },
      select: { spentAt: true, releasedAt: true },
    });
    // Every answered download holds a reservation; at most the cut-off ones besides (they may have committed).
    expect(reservations.length).toBeGreaterThanOrEqual(downloads.ok);
    expect(reservations.length).toBeLessThanOrEqual(downloads.ok + downloads.cut);
    // Each enrolled device spent exactly one use, and the counters agree with the rows.
    const enrolled = await db().device.count({ where: { tokenId: token.id } });
    expect(row.useCount).toBe(enrolled);
    const open = reservations.filter((r) => !r.spentAt && !r.releasedAt).length;
    const spentFromReservations = reservations.filter((r) => r.spentAt).length;
    expect(spentFromReservations).toBeLessThanOrEqual(row.useCount);
    expect(row.claimedCount).toBe(row.useCount + open);
    const certs = await db().certificate.findMany({
      where: { fingerprint: { in: scep.issued } },
      select: { fingerprint: true },
    });
    expect(certs.map((c) => c.fingerprint).sort()).toEqual([...scep.issued].sort());
    const known = await db().device.findMany({
      where: { identifier: { in: checkins.authenticated } },
      select: { identifier: true },
    });
    expect(known.map((d) => d.identifier).sort()).toEqual([...checkins.authenticated].sort());
    const pushed = await db().device.findMany({
      where: {
        identifier: { in: checkins.tokenUpdated },
        pushToken: { not: null },
      },
      select: { identifier: true },
    });
    expect(pushed.map((d) => d.identifier).sort()).toEqual([...checkins.tokenUpdated].sort());

    // The restarted server reserves the next download's use exactly once.
    const again = await fetch(profileUrl);
    await again.arrayBuffer();
    expect(again.status).toBe(200);
    expect(
      (
        await db().enrollmentToken.findUniqueOrThrow({
          where: { id: token.id },
        })
      ).claimedCount,
    ).toBe(row.claimedCount + 1);
  }, 180_000);

  it("answers malformed path escapes and non-URL callbackUrls with 400, not 500", async () => {
    for (const p of ["/e/%E0%A4%A", "/api/v1/devices/%zz", `/scep/%zz?operation=GetCACaps`, "/ndes/%FF", "/adde/%E0", "/ocsp/%zz", "/api/v1/tokens/%/qr.png", "/ndes/a%00b"]) {
      const res = await fetch(`${URL_}${p}`);
      expect(res.status, p).toBe(400);
      expect(await res.json(), p).toMatchObject({ error: "malformed_path" });
    }
    for (const init of [
      { path: "/api/auth/providers?callbackUrl=foo" },
      { path: "/api/auth/signin?callbackUrl=javascript:alert(1)" },
      { path: "/api/auth/providers", cookie: "next-auth.callback-url=foo" },
    ]) {
      const res = await fetch(`${URL_}${init.path}`, {
        headers: init.cookie ? { cookie: init.cookie } : {},
        redirect: "manual",
      });
      expect(res.status, init.path).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_callback_url" });
    }
    const form = await fetch(`${URL_}/api/auth/signin/credentials`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "csrfToken=x&callbackUrl=foo",
      redirect: "manual",
    });
    expect(form.status).toBe(400);
    expect((await fetch(`${URL_}/api/auth/providers?callbackUrl=%2Fadmin`)).status).toBe(200);
  });
});
