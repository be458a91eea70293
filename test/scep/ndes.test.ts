// The NDES-compatible challenge URL: Microsoft's page format (UTF-16LE, the sentence
// clients parse), HTTP basic auth, 5 unused challenges then "password cache is full".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { createScepProfile, getScepProfileRow } from "@/lib/scep/profiles";
import { verifyChallenge } from "@/lib/scep/challenge";
import { loggedCount } from "@/test/helpers/logCount";
import { startScepServer } from "./tools";

let t: TestDb;
let server: RouteServer;
let profileId: string;
let auth: string;

beforeAll(async () => {
  t = await createTestDb();
  server = await startScepServer();
  const p = await createScepProfile({ name: "ndes", challengeType: "NDES", ndesUsername: "jamfpro" });
  profileId = p.profile.id;
  auth = `Basic ${Buffer.from(`jamfpro:${p.ndesPassword}`).toString("base64")}`;
});
afterAll(async () => {
  await server.close();
  await t.close();
});

const get = (authorization?: string, id = profileId) => fetch(`${server.url}/ndes/${id}`, { headers: authorization ? { authorization } : {} });

async function pageText(res: Response): Promise<{ bytes: Buffer; text: string }> {
  const bytes = Buffer.from(await res.arrayBuffer());
  return { bytes, text: bytes.subarray(2).toString("utf16le") };
}

describe("NDES challenge URL", () => {
  it("asks for basic auth and refuses wrong credentials the same way for unknown profiles", async () => {
    const none = await get();
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Basic realm="NDES"/);
    expect((await get(`Basic ${Buffer.from("jamfpro:wrong").toString("base64")}`)).status).toBe(401);
    expect((await get(`Basic ${Buffer.from("other:wrong").toString("base64")}`)).status).toBe(401);
    expect((await get(auth, "no-such-profile")).status).toBe(401);
    // Repeats from one address fold into one line with a count (lib/log/enrollmentLog.ts).
    expect(await loggedCount({ step: "scep", reason: "ndes_auth_failed" })).toBe(3);
  });

  it("serves Microsoft's page in UTF-16LE with NDES's 16-hex challenge that SCEP accepts once", async () => {
    const res = await get(auth);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-16le");
    const { bytes, text } = await pageText(res);
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    // Every other byte is zero for this ASCII page: it really is UTF-16LE.
    expect(
      bytes
        .subarray(2, 40)
        .filter((_, i) => i % 2 === 1)
        .every((b) => b === 0),
    ).toBe(true);
    const bySentence = /The enrollment challenge password is: <B> (\S+) <\/B>/.exec(text)?.[1];
    const byRegex = text.match(/[A-Z0-9]{16,32}/g);
    expect(bySentence).toMatch(/^[A-F0-9]{16}$/);
    // Clients that search with a bare regex ([A-Z0-9]{16,32} or NDES's [A-F0-9]{16}) find the same value, and only that one.
    expect(byRegex).toEqual([bySentence]);
    expect(text.match(/[A-F0-9]{16}/g)).toEqual([bySentence]);
    // Fleet's parser: the NDES sentence, case-insensitive.
    expect(/The enrollment challenge password is: <B> (?<password>\S*)/i.exec(text)?.groups?.password).toBe(bySentence);
    const row = (await getScepProfileRow(profileId))!;
    expect(await verifyChallenge(row, bySentence!)).toMatchObject({ ok: true, source: "NDES" });
    expect(await verifyChallenge(row, bySentence!)).toMatchObject({ ok: false, reason: "scep_challenge_replayed" });
  });

  it("keeps at most 5 unused challenges, then answers that the password cache is full", async () => {
    await t.client.scepChallenge.deleteMany({ where: { profileId } });
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { text } = await pageText(await get(auth));
      seen.add(/password is: <B> (\S+) <\/B>/.exec(text)![1]);
    }
    expect(seen.size).toBe(5);
    const full = await get(auth);
    expect(full.status).toBe(200);
    const { text } = await pageText(full);
    // NDES's page: the sentence integrations match, in its place after the service description.
    expect(text).toContain("<P> The password cache is full. <P>");
    expect(text).toContain("Configure the service to cache more than 5 passwords.");
    expect(text).toMatch(/^<HTML><Head>.*<Title>Network Device Enrollment Service<\/Title>.*<\/HTML>$/s);
    expect(text).not.toMatch(/[A-Z0-9]{16,32}/);
    expect(text).not.toContain("enrollment challenge password is");
    // Using one frees a slot.
    const row = (await getScepProfileRow(profileId))!;
    expect((await verifyChallenge(row, [...seen][0])).ok).toBe(true);
    expect((await pageText(await get(auth))).text).toMatch(/password is: <B> [A-F0-9]{16} <\/B>/);
    // Expired ones free slots too (60 minutes).
    await t.client.scepChallenge.updateMany({ where: { profileId, usedAt: null }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await pageText(await get(auth))).text).toMatch(/password is: <B> [A-F0-9]{16} <\/B>/);
    const challenges = await t.client.scepChallenge.findMany({ where: { profileId } });
    expect(challenges.every((c) => Math.abs(c.expiresAt.getTime() - c.createdAt.getTime() - 60 * 60_000) < 5_000 || c.expiresAt < new Date())).toBe(true);
  });

  it("uses the profile's cache size (set through the admin API's schema), up to hundreds", async () => {
    const p = await createScepProfile({ name: "ndes-small", challengeType: "NDES", ndesUsername: "mass", ndesCacheSize: 2 });
    const a = `Basic ${Buffer.from(`mass:${p.ndesPassword}`).toString("base64")}`;
    expect((await pageText(await get(a, p.profile.id))).text).toMatch(/password is: <B> [A-F0-9]{16} <\/B>/);
    expect((await pageText(await get(a, p.profile.id))).text).toMatch(/password is: <B> [A-F0-9]{16} <\/B>/);
    const full = (await pageText(await get(a, p.profile.id))).text;
    expect(full).toContain("The password cache is full.");
    expect(full).toContain("Configure the service to cache more than 2 passwords.");
    const warn = await t.client.enrollmentLog.findFirst({ where: { step: "scep", outcome: "WARNING", message: { contains: "ndes-small: NDES password cache is full (2 unused" } } });
    expect(warn).not.toBeNull();
  });
});
