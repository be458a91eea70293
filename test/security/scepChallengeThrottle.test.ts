// Brute force on SCEP challenges: wrong challenges are counted per SCEP profile and client
// address, like the NDES challenge URL's basic auth; after SCEP_MAX_CHALLENGE_FAILURES the
// address gets HTTP 429 with Retry-After (even with the right challenge) and a log line.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggedCount } from "@/test/helpers/logCount";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { createScepProfile } from "@/lib/scep/profiles";
import { SCEP_MAX_CHALLENGE_FAILURES } from "@/lib/scep/challengeThrottle";
import { PkiStatus } from "@/lib/scep/message";
import { buildCsr, buildPkiMessage, getScepCerts, postPkiOperation, readCertRep, selfSigned } from "@/test/helpers/scepClient";
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

const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });

const raCerts = new Map<string, Uint8Array>();
async function request(url: string, challenge: string) {
  if (!raCerts.has(url)) raCerts.set(url, (await getScepCerts(url)).raDer);
  const raDer = raCerts.get(url)!;
  const csrDer = await buildCsr("CN=guesser", privateKey, publicKey, challenge);
  const signerCertDer = await selfSigned("CN=guesser", privateKey, publicKey);
  return { req: await buildPkiMessage({ csrDer, recipientCertDer: raDer, signerCertDer, signerKeyPem: privateKey }), raDer, signerCertDer };
}

describe("SCEP challenge throttle", () => {
  it("300 wrong static challenges from one address end in 429s; other profiles are unaffected", async () => {
    const target = await createScepProfile({ name: "static-target", challengeType: "STATIC" });
    const other = await createScepProfile({ name: "static-other", challengeType: "STATIC" });
    const targetUrl = `${server.url}/scep/${target.profile.id}`;
    const statuses: number[] = [];
    let lastBlocked: Response | null = null;
    for (let i = 0; i < 300; i++) {
      const { req, raDer, signerCertDer } = await request(targetUrl, `guess-${i}-${crypto.randomBytes(4).toString("hex")}`);
      const res = await fetch(`${targetUrl}?operation=PKIOperation`, { method: "POST", body: Buffer.from(req.body), headers: { "content-type": "application/x-pki-message" } });
      statuses.push(res.status);
      if (res.status === 200) {
        expect(readCertRep(new Uint8Array(await res.arrayBuffer()), raDer, signerCertDer, privateKey)).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badRequest" });
      } else {
        lastBlocked = res;
        await res.arrayBuffer().catch(() => undefined);
      }
    }
    // The first ones get their CertRep FAILURE; all the rest are refused before decryption.
    expect(statuses.slice(0, SCEP_MAX_CHALLENGE_FAILURES).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(SCEP_MAX_CHALLENGE_FAILURES).every((s) => s === 429)).toBe(true);
    expect(statuses.slice(-1)[0]).toBe(429);
    expect(Number(lastBlocked!.headers.get("retry-after"))).toBeGreaterThan(0);

    // Even the right challenge waits now, from this address.
    const right = await request(targetUrl, target.staticChallenge!);
    const blocked = await fetch(`${targetUrl}?operation=PKIOperation`, { method: "POST", body: Buffer.from(right.req.body) });
    expect(blocked.status).toBe(429);
    expect(await blocked.json()).toMatchObject({ error: "too_many_attempts" });

    // Every refusal is counted; repeats of one refusal fold into its line (lib/log/enrollmentLog.ts).
    expect(await loggedCount({ step: "scep", reason: "scep_challenge_throttled" })).toBe(300 - SCEP_MAX_CHALLENGE_FAILURES + 1);
    const logs = await t.client.enrollmentLog.findMany({ where: { step: "scep", reason: "scep_challenge_throttled" } });
    expect(logs[0].message).toContain("static-target");
    expect(JSON.stringify(logs)).not.toContain(target.staticChallenge!);
    expect(await loggedCount({ step: "scep", reason: "scep_bad_challenge" })).toBe(SCEP_MAX_CHALLENGE_FAILURES);

    // Another profile, same address: enrolls.
    const otherUrl = `${server.url}/scep/${other.profile.id}`;
    const ok = await request(otherUrl, other.staticChallenge!);
    const res = await postPkiOperation(otherUrl, ok.req.body);
    expect(res.status).toBe(200);
    expect(readCertRep(res.body, ok.raDer, ok.signerCertDer, privateKey).pkiStatus).toBe(PkiStatus.SUCCESS);
  }, 240_000); // 300 signed requests: minutes on a loaded 2-core machine
});
