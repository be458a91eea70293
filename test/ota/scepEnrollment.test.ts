// The identity step a device takes after installing an OTA profile: micromdm's scepclient
// uses the SCEP URL, challenge and subject from a downloaded profile against our real SCEP
// route, and the issued certificate is linked to the enrollment token.
import fs from "node:fs";
import path from "node:path";
import { parse as parsePlist } from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";
import { getCa } from "@/lib/pki/ca";
import { sha256Fingerprint } from "@/lib/pki/der";
import { createScepProfile } from "@/lib/scep/profiles";
import { opensslVerify } from "./openssl";
import { tempDir, tool } from "../scep/tools";

const SCEPCLIENT = "/usr/bin/scepclient";

let t: TestDb;
let server: RouteServer;
let dir: string;

beforeAll(async () => {
  t = await createTestDb();
  dir = tempDir("ota-scep-");
  server = await serveRouteImports({
    "/enroll/profile": import("@/app/enroll/profile/route"),
    "/scep/[id]": import("@/app/scep/[id]/route"),
  });
});
afterAll(async () => {
  await server?.close();
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Dict = Record<string, unknown>;

async function scepPayloadOf(jwt: string): Promise<Dict> {
  const res = await fetch(`${server.url}/enroll/profile`, { method: "POST", body: new URLSearchParams({ token: jwt }) });
  expect(res.status).toBe(200);
  const content = opensslVerify(Buffer.from(await res.arrayBuffer()), (await getCa()).certPem, dir);
  const top = parsePlist(content.toString("utf8")) as { PayloadContent: Dict[] };
  return top.PayloadContent.find((p) => p.PayloadType === "com.apple.security.scep")!.PayloadContent as Dict;
}

/** Runs scepclient as the device would, from the profile's payload (URL re-pointed at the test server). */
async function enrollWith(scep: Dict) {
  const run = tempDir("ota-scepclient-");
  const url = new URL(scep.URL as string);
  const cn = ((scep.Subject as string[][][]).flat().find(([k]) => k === "CN") ?? [])[1]!;
  const r = await tool(
    SCEPCLIENT,
    [
      "-server-url",
      `${server.url}${url.pathname}`,
      "-private-key",
      path.join(run, "key.pem"),
      "-certificate",
      path.join(run, "cert.pem"),
      "-cn",
      cn,
      "-challenge",
      scep.Challenge as string,
      "-keySize",
      String(scep.Keysize),
    ],
    { cwd: run },
  );
  const certPath = path.join(run, "cert.pem");
  const row = fs.existsSync(certPath)
    ? await t.client.certificate.findUnique({ where: { fingerprint: sha256Fingerprint(Buffer.from(fs.readFileSync(certPath, "utf8").replace(/-----[^-]+-----|\s/g, ""), "base64")) } })
    : null;
  return { code: r.code, output: r.stdout + r.stderr, row };
}

describe.skipIf(!fs.existsSync(SCEPCLIENT))("OTA profile → SCEP identity certificate (scepclient)", () => {
  it("default profile: the one-time challenge yields one certificate linked to the token, and only once", async () => {
    const { id, jwt } = await createEnrollmentToken({ name: "SCEP e2e", expiresIn: "24h", maxUses: 2 });
    const scep = await scepPayloadOf(jwt);
    const first = await enrollWith(scep);
    expect(first.code, first.output).toBe(0);
    expect(first.row).toMatchObject({ enrollmentTokenId: id });
    expect(first.row!.subject).toContain((scep.Subject as string[][][])[0][0][1]);
    const replay = await enrollWith(scep);
    expect(replay.code).not.toBe(0);
    expect(replay.row).toBeNull();
  });

  it("TOKEN profile: a short challenge bound to the token (PKCS#9: <= 255), one certificate per downloaded profile", async () => {
    const p = await createScepProfile({ name: "By token", challengeType: "TOKEN" });
    const { id, jwt } = await createEnrollmentToken({ name: "Token SCEP", expiresIn: "24h", maxUses: 1, scepProfileId: p.profile.id });
    const scep = await scepPayloadOf(jwt);
    expect(typeof scep.Challenge).toBe("string");
    expect((scep.Challenge as string).length).toBeLessThanOrEqual(255);
    expect(scep.Challenge).not.toBe(jwt);
    const run = await enrollWith(scep);
    expect(run.code, run.output).toBe(0);
    expect(run.row).toMatchObject({ enrollmentTokenId: id, profileId: p.profile.id });
    expect((await enrollWith(scep)).code).not.toBe(0);
  });
});
