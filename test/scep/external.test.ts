// External SCEP profiles against peers we did not write: micromdm's scepserver as the CA
// (GetCACaps/GetCACert, pinning, a certificate issued with our payload's challenge to Debian's
// scepclient), a second instance of our own server as an NDES-style challenge URL, and
// micro-fixtures of Microsoft NDES pages and generic JSON answers.
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { build as buildPlist, parse as parsePlist } from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveRouteImports } from "@/test/helpers/routeServer";
import { startAdminApi, type AdminApi } from "@/test/helpers/adminApi";
import { createScepProfile } from "@/lib/scep/profiles";
import { decodeBody, fetchChallenge, parseGenericBody, parseNdesPage } from "@/lib/scep/external/challengeFetch";
import { challengeFor, getExternalScepProfileRow, recheckPinnedCas } from "@/lib/scep/external/profiles";
import { externalScepPayload } from "@/lib/profiles/externalScepPayload";
import { validatePayload } from "@/lib/profiles/appleSchema";
import { NDES_DEFAULT_CACHE_SIZE as NDES_MAX_UNUSED } from "@/lib/scep/profiles";
import { opensslSubject, tempDir, tool } from "./tools";

const FIX = path.join(__dirname, "../fixtures/ndes");
const fixture = (name: string) => fs.readFileSync(path.join(FIX, name));
const SCEPSERVER = "/usr/bin/scepserver";
const SCEPCLIENT = "/usr/bin/scepclient";
const CHALLENGE = "scepserver-static-secret";

describe("challenge answers (micro-fixtures)", () => {
  it("reads NDES's UTF-16LE page with and without BOM and as UTF-8, never the CA thumbprint", () => {
    for (const f of ["challenge-utf16le-bom.html", "challenge-utf16le-nobom.html", "challenge-utf8.html"]) {
      expect(parseNdesPage(decodeBody(fixture(f)))).toEqual({ challenge: "4D2E1F7A9C3B5E80" });
    }
  });
  it("recognises the cache-full page and refuses pages without the sentence", () => {
    expect(parseNdesPage(decodeBody(fixture("cache-full-utf16le.html")))).toEqual({ cacheFull: true });
    expect(parseNdesPage(decodeBody(fixture("no-permission-utf16le.html")))).toBeNull();
  });
  it("reads generic JSON (default and dotted field) and plain text", () => {
    expect(parseGenericBody(fixture("okta-generic.json").toString(), "application/json", null)).toBe("a8Xr2LqP0vNw9s");
    expect(parseGenericBody(fixture("nested-generic.json").toString(), "application/json", "data.scep.otp")).toBe("Zk3Q-77xv");
    expect(parseGenericBody(fixture("nested-generic.json").toString(), "application/json", null)).toBeNull();
    expect(parseGenericBody("  9F04DC8B3E5C5A2C\r\n", "text/plain", null)).toBe("9F04DC8B3E5C5A2C");
    expect(parseGenericBody("two words", "text/plain", null)).toBeNull();
  });

  it("reports 401, cache full, unparseable and unreachable distinctly over HTTP", async () => {
    const srv = http.createServer((req, res) => {
      const auth = req.headers.authorization ?? "";
      if (auth !== `Basic ${Buffer.from("CONTOSO\\ndes:right").toString("base64")}`) {
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="x"' }).end();
        return;
      }
      if (req.url === "/huge") return void res.writeHead(200, { "Content-Type": "text/html" }).end(Buffer.alloc(200 * 1024, 0x41));
      const file = { "/ok": "challenge-utf16le-bom.html", "/full": "cache-full-utf16le.html", "/denied": "no-permission-utf16le.html", "/json": "okta-generic.json" }[req.url ?? ""];
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { "Content-Type": file.endsWith(".json") ? "application/json" : "text/html" }).end(fixture(file));
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
    try {
      const src = (p: string, password = "right", format: "NDES" | "GENERIC" = "NDES") => ({ format, url: base + p, username: "CONTOSO\\ndes", password });
      expect(await fetchChallenge(src("/ok"))).toEqual({ ok: true, challenge: "4D2E1F7A9C3B5E80" });
      expect(await fetchChallenge(src("/json", "right", "GENERIC"))).toEqual({ ok: true, challenge: "a8Xr2LqP0vNw9s" });
      expect(await fetchChallenge(src("/ok", "wrong"))).toMatchObject({ ok: false, kind: "auth_failed" });
      expect(await fetchChallenge(src("/full"))).toMatchObject({ ok: false, kind: "cache_full" });
      expect(await fetchChallenge(src("/denied"))).toMatchObject({ ok: false, kind: "unparseable" });
      expect(await fetchChallenge(src("/huge"))).toMatchObject({ ok: false, kind: "unparseable", detail: expect.stringMatching(/exceeds/) });
    } finally {
      await new Promise((r) => srv.close(r));
    }
    expect(await fetchChallenge({ format: "NDES", url: `${base}/ok`, username: null, password: null })).toMatchObject({ ok: false, kind: "unreachable" });
  });
});

describe("docs/scep.md for external CAs (issue 14)", () => {
  const doc = fs.readFileSync(path.join(__dirname, "../../docs/scep.md"), "utf8");
  const section = (heading: string) => {
    const start = doc.indexOf(`${heading}\n`);
    expect(start, heading).toBeGreaterThanOrEqual(0);
    const rest = doc.slice(start + heading.length + 1);
    const level = heading.split(" ")[0];
    const next = rest.search(new RegExp(`^#{1,${level.length}} `, "m"));
    return next < 0 ? rest : rest.slice(0, next);
  };
  it("has a section per kind and per challenge source, with seed 002's Jamf Pro field names next to ours", () => {
    expect(section("## SCEP profiles and challenges")).toMatch(/`STATIC`[\s\S]*`DYNAMIC`[\s\S]*`TOKEN`[\s\S]*`NDES`/);
    const ext = section('## External SCEP CAs (profile kind "external")');
    for (const source of ["`NONE`", "`STATIC`", "`NDES`", "`GENERIC`"]) expect(ext).toContain(`- ${source}`);
    // Jamf Pro's names (seed 002) in the mapping table's second column.
    const jamf = [...ext.matchAll(/^\| [^|]+ \| ([^|]+) \|/gm)].map((m) => m[1].trim());
    for (const field of [
      "URL",
      "Subject",
      "Challenge Type",
      "URL To SCEP Admin",
      "Username / Password (Verify Password)",
      "Key Size",
      "Use as digital signature / Use for key encipherment",
      "Allow export from keychain",
    ])
      expect(jamf).toContain(field);
    expect(ext).toContain("Dynamic-Microsoft CA");
    expect(ext).toMatch(/NTLM[^.]*out of scope/);
    expect(section("### Certificate policies and redistribution before expiry")).toContain('"Redistribute Profile"');
    expect(section("### Device identity from an external CA")).toMatch(/routing rule/);
  });
  it("walks through the NDES and Okta setups step by step", () => {
    for (const heading of ["### Microsoft NDES, step by step", "### Okta (Device Access, seed 002), step by step"]) {
      const steps = section(heading).match(/^\d+\. /gm) ?? [];
      expect(steps.length, heading).toBeGreaterThanOrEqual(5);
    }
    expect(section("### Microsoft NDES, step by step")).toMatch(/mscep_admin[\s\S]*Basic Authentication[\s\S]*PasswordMax/);
    expect(section("### Okta (Device Access, seed 002), step by step")).toMatch(/Dynamic SCEP URL and Generic[\s\S]*Challenge URL[\s\S]*fingerprint/);
  });
});

describe.skipIf(!fs.existsSync(SCEPSERVER))("external SCEP profile against micromdm's scepserver", () => {
  let api: AdminApi;
  let child: ChildProcess;
  let scepUrl: string;
  let depot: string;

  beforeAll(async () => {
    api = await startAdminApi("extca", {
      "/api/v1/external-scep-profiles": import("@/app/api/v1/external-scep-profiles/route"),
      "/api/v1/external-scep-profiles/probe": import("@/app/api/v1/external-scep-profiles/probe/route"),
      "/api/v1/external-scep-profiles/[id]": import("@/app/api/v1/external-scep-profiles/[id]/route"),
    });
    depot = path.join(tempDir("extca-"), "depot");
    expect((await tool(SCEPSERVER, ["ca", "-init", "-depot", depot])).code).toBe(0);
    const port = 20000 + crypto.randomInt(20000);
    child = spawn(SCEPSERVER, ["-depot", depot, "-port", String(port), "-challenge", CHALLENGE], { stdio: "ignore" });
    scepUrl = `http://127.0.0.1:${port}/scep`;
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${scepUrl}?operation=GetCACaps`)).ok) break;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    child?.kill("SIGTERM");
    await api?.close();
  });

  async function opensslFingerprint(alg: "sha1" | "sha256"): Promise<string> {
    const out = (await tool("openssl", ["x509", "-noout", "-fingerprint", `-${alg}`, "-in", path.join(depot, "ca.pem")])).stdout;
    return /=([0-9A-F:]+)/.exec(out)![1];
  }

  it("probe shows the CA fingerprint OpenSSL computes; a wrong pin is refused and logged", async () => {
    const probe = await api.call("/api/v1/external-scep-profiles/probe", api.adminKey, { method: "POST", body: JSON.stringify({ scepUrl }) });
    expect(probe.status).toBe(200);
    const p = (await probe.json()) as { ca: { sha256: string; sha1: string }; caps: string[] };
    expect(p.ca.sha256).toBe((await opensslFingerprint("sha256")).replace(/:/g, "").toLowerCase());
    expect(p.caps.length).toBeGreaterThan(0);

    const wrong = await api.call("/api/v1/external-scep-profiles", api.adminKey, {
      method: "POST",
      body: JSON.stringify({ name: "wrong pin", scepUrl, caFingerprint: "00".repeat(32), challengeSource: "STATIC", staticChallenge: CHALLENGE }),
    });
    expect(wrong.status).toBe(409);
    const logged = await api.db.client.enrollmentLog.findMany({ where: { reason: "external_ca_fingerprint_mismatch" } });
    expect(logged.length).toBe(1);

    expect((await api.call("/api/v1/external-scep-profiles/probe", api.adminKey, { method: "POST", body: JSON.stringify({ scepUrl: `${scepUrl}?x=1` }) })).status).toBe(400);
    expect((await api.call("/api/v1/external-scep-profiles/probe", api.readKey, { method: "POST", body: JSON.stringify({ scepUrl }) })).status).toBe(403);
  });

  it("pins on the pasted fingerprint; the payload carries SHA-1 CAFingerprint, validates against Apple's schema, and scepclient gets a certificate with it", async () => {
    const res = await api.call("/api/v1/external-scep-profiles", api.adminKey, {
      method: "POST",
      body: JSON.stringify({
        name: "micromdm",
        scepUrl,
        caFingerprint: await opensslFingerprint("sha256"),
        challengeSource: "STATIC",
        staticChallenge: CHALLENGE,
        subjectTemplate: "CN=$COMPUTERNAME ma $UDID,O=Example",
        keyUsage: 1,
      }),
    });
    expect(res.status).toBe(201);
    const body = await res.text();
    expect(body).not.toContain(CHALLENGE);
    const { profile } = JSON.parse(body) as { profile: { id: string; ca: { sha1: string } } };
    expect(await api.call(`/api/v1/external-scep-profiles/${profile.id}`, api.readKey).then((r) => r.text())).not.toContain(CHALLENGE);

    const row = (await getExternalScepProfileRow(profile.id))!;
    expect(row.staticChallengeEnc).not.toContain(CHALLENGE);
    const ch = await challengeFor(row);
    expect(ch).toEqual({ ok: true, challenge: CHALLENGE });
    const payload = externalScepPayload(row, CHALLENGE, { UDID: "00008030-001A2B3C4D5E802E", COMPUTERNAME: "Jane's Mac" });
    // Round-trip through plist XML, as the device reads it.
    const xml = buildPlist({ ...payload, PayloadIdentifier: "test.scep", PayloadUUID: crypto.randomUUID().toUpperCase(), PayloadVersion: 1 } as Parameters<typeof buildPlist>[0]);
    const parsed = parsePlist(xml) as Record<string, unknown>;
    expect(validatePayload("com.apple.security.scep", parsed)).toEqual([]);
    const content = parsed.PayloadContent as Record<string, unknown>;
    expect(
      Buffer.from(content.CAFingerprint as Buffer)
        .toString("hex")
        .toUpperCase(),
    ).toBe((await opensslFingerprint("sha1")).replace(/:/g, ""));
    expect(content.KeyIsExtractable).toBe(false);
    expect(content.URL).toBe(scepUrl);
    expect(content.Subject).toEqual([[["CN", "Jane's Mac ma 00008030-001A2B3C4D5E802E"]], [["O", "Example"]]]);

    if (!fs.existsSync(SCEPCLIENT)) return;
    const dir = tempDir("extca-client-");
    const r = await tool(
      SCEPCLIENT,
      [
        "-server-url",
        content.URL as string,
        "-challenge",
        content.Challenge as string,
        "-private-key",
        path.join(dir, "key.pem"),
        "-certificate",
        path.join(dir, "cert.pem"),
        "-cn",
        "Jane's Mac ma 00008030-001A2B3C4D5E802E",
        "-organization",
        "Example",
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(await opensslSubject(path.join(dir, "cert.pem"))).toContain("CN=Jane's Mac ma 00008030-001A2B3C4D5E802E");
    const verify = await tool("openssl", ["verify", "-CAfile", path.join(depot, "ca.pem"), path.join(dir, "cert.pem")]);
    expect(verify.code, verify.stderr).toBe(0);

    // The scheduled re-check: the same CA passes; a pin that no longer matches is logged.
    expect(await recheckPinnedCas()).not.toContain(profile.id);
    await api.db.client.externalScepProfile.update({ where: { id: profile.id }, data: { caFingerprintSha256: "ab".repeat(32) } });
    expect(await recheckPinnedCas()).toContain(profile.id);
    const mismatch = await api.db.client.enrollmentLog.findMany({ where: { reason: "external_ca_fingerprint_mismatch", message: { contains: "devices will refuse it" } } });
    expect(mismatch.length).toBe(1);
    await api.db.client.externalScepProfile.update({ where: { id: profile.id }, data: { caFingerprintSha256: row.caFingerprintSha256 } });
  });

  it("PATCH edits a profile: a new URL is checked and needs the fingerprint again; secrets are replaced, never shown", async () => {
    const call = (url: string, key: string, method: string, body?: unknown) => api.call(url, key, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const created = await call("/api/v1/external-scep-profiles", api.adminKey, "POST", {
      name: "to edit",
      scepUrl,
      caFingerprint: await opensslFingerprint("sha1"),
      challengeSource: "STATIC",
      staticChallenge: CHALLENGE,
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { profile: { id: string } }).profile.id;
    const at = `/api/v1/external-scep-profiles/${id}`;
    const before = (await getExternalScepProfileRow(id))!;

    // Plain fields: only what is sent changes; the static challenge stays sealed and unchanged.
    const renamed = await call(at, api.adminKey, "PATCH", { name: "edited", subjectTemplate: "CN=$SERIALNUMBER", keySize: 4096 });
    expect(renamed.status).toBe(200);
    const renamedText = await renamed.text();
    expect(renamedText).not.toContain(CHALLENGE);
    expect(JSON.parse(renamedText)).toMatchObject({
      name: "edited",
      subjectTemplate: "CN=$SERIALNUMBER",
      keySize: 4096,
      scepUrl,
      challengeSource: "STATIC",
      ca: { sha256: before.caFingerprintSha256 },
    });
    expect(await challengeFor((await getExternalScepProfileRow(id))!)).toEqual({ ok: true, challenge: CHALLENGE });
    expect((await call(at, api.readKey, "PATCH", { name: "nope" })).status).toBe(403);
    expect((await call(at, api.adminKey, "PATCH", { challengeSource: "NDES" })).status).toBe(400); // NDES needs a challenge URL
    expect((await call(at, api.adminKey, "PATCH", { unknownField: 1 })).status).toBe(400);
    expect((await call("/api/v1/external-scep-profiles/nope", api.adminKey, "PATCH", { name: "x" })).status).toBe(404);

    // A replaced static challenge: the new one is used, and it is never returned.
    const replaced = await call(at, api.adminKey, "PATCH", { staticChallenge: "replaced-static-secret" });
    expect(await replaced.text()).not.toContain("replaced-static-secret");
    expect(await challengeFor((await getExternalScepProfileRow(id))!)).toEqual({ ok: true, challenge: "replaced-static-secret" });

    // A new SCEP URL (a second instance of our own server as the CA): GetCACert is asked again and
    // the admin must confirm the new CA's fingerprint; a wrong one is refused and the pin is kept.
    const ours = await createScepProfile({ name: "second CA", challengeType: "NDES", ndesUsername: "okta" });
    const extra = await serveRouteImports({ "/scep/[id]": import("@/app/scep/[id]/route"), "/ndes/[id]": import("@/app/ndes/[id]/route") });
    try {
      const newUrl = `${extra.url}/scep/${ours.profile.id}`;
      const noPin = await call(at, api.adminKey, "PATCH", { scepUrl: newUrl });
      expect(noPin.status).toBe(400);
      expect(await noPin.text()).toContain("ca_fingerprint_required");
      const wrongPin = await call(at, api.adminKey, "PATCH", { scepUrl: newUrl, caFingerprint: before.caFingerprintSha256 });
      expect(wrongPin.status).toBe(409);
      expect((await getExternalScepProfileRow(id))!).toMatchObject({ scepUrl, caFingerprintSha256: before.caFingerprintSha256 });
      // The new CA's fingerprint from OpenSSL: the self-signed certificate of the GetCACert bundle.
      const dir = tempDir("extca-edit-");
      fs.writeFileSync(path.join(dir, "b.p7b"), Buffer.from(await (await fetch(`${newUrl}?operation=GetCACert`)).arrayBuffer()));
      const pems = (await tool("openssl", ["pkcs7", "-inform", "DER", "-print_certs", "-in", path.join(dir, "b.p7b")])).stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
      let rootSha256 = "";
      for (const pem of pems) {
        fs.writeFileSync(path.join(dir, "c.pem"), `${pem}\n`);
        const subj = (await tool("openssl", ["x509", "-noout", "-subject", "-in", path.join(dir, "c.pem")])).stdout.replace(/^subject=/, "").trim();
        const iss = (await tool("openssl", ["x509", "-noout", "-issuer", "-in", path.join(dir, "c.pem")])).stdout.replace(/^issuer=/, "").trim();
        if (subj === iss) rootSha256 = /=([0-9A-F:]+)/.exec((await tool("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", path.join(dir, "c.pem")])).stdout)![1];
      }
      expect(rootSha256).not.toBe("");
      const moved = await call(at, api.adminKey, "PATCH", {
        scepUrl: newUrl,
        caFingerprint: rootSha256,
        challengeSource: "NDES",
        challengeUrl: `${extra.url}/ndes/${ours.profile.id}`,
        challengeUsername: "okta",
        challengePassword: ours.ndesPassword,
      });
      expect(moved.status).toBe(200);
      const movedText = await moved.text();
      expect(movedText).not.toContain(ours.ndesPassword!);
      expect(JSON.parse(movedText)).toMatchObject({ scepUrl: newUrl, challengeSource: "NDES", hasChallengePassword: true, ca: { sha256: rootSha256.replace(/:/g, "").toLowerCase() } });
      const row = (await getExternalScepProfileRow(id))!;
      // The static challenge of the old source is gone; the password is sealed.
      expect(row.staticChallengeEnc).toBeNull();
      expect(row.challengePasswordEnc).not.toContain(ours.ndesPassword!);
      const fetched = await challengeFor(row, { udid: "UDID-edit" });
      expect(fetched).toMatchObject({ ok: true, challenge: expect.stringMatching(/^[0-9A-F]{16}$/) });
      const line = await api.db.client.enrollmentLog.findFirstOrThrow({ where: { step: "external_scep", message: { contains: "now pinned" } } });
      expect(line.message).toContain(`SCEP URL now ${newUrl}`);
      for (const secret of [CHALLENGE, "replaced-static-secret", ours.ndesPassword!]) {
        expect(await api.db.client.enrollmentLog.count({ where: { message: { contains: secret } } })).toBe(0);
      }
    } finally {
      await extra.close();
    }
  });

  it("an NDES-style challenge URL on a second instance of our server: distinct challenges, wrong password and cache full logged", async () => {
    // The "external CA" is our own SCEP + NDES endpoints, served by the admin API's route server.
    const ours = await createScepProfile({ name: "as-external", challengeType: "NDES", ndesUsername: "okta" });
    const extra = await serveRouteImports({ "/scep/[id]": import("@/app/scep/[id]/route"), "/ndes/[id]": import("@/app/ndes/[id]/route") });
    try {
      const peerScep = `${extra.url}/scep/${ours.profile.id}`;
      const probe = (await (await api.call("/api/v1/external-scep-profiles/probe", api.adminKey, { method: "POST", body: JSON.stringify({ scepUrl: peerScep }) })).json()) as {
        ca: { sha256: string };
      };
      const create = (pw: string, name: string) =>
        api.call("/api/v1/external-scep-profiles", api.adminKey, {
          method: "POST",
          body: JSON.stringify({
            name,
            scepUrl: peerScep,
            caFingerprint: probe.ca.sha256,
            challengeSource: "NDES",
            challengeUrl: `${extra.url}/ndes/${ours.profile.id}`,
            challengeUsername: "okta",
            challengePassword: pw,
          }),
        });
      const good = (await (await create(ours.ndesPassword!, "peer")).json()) as { profile: { id: string } };
      const bad = (await (await create("not-the-password", "peer-wrong")).json()) as { profile: { id: string } };
      const row = (await getExternalScepProfileRow(good.profile.id))!;
      expect(row.challengePasswordEnc).not.toContain(ours.ndesPassword!);

      const seen = new Set<string>();
      for (let i = 0; i < NDES_MAX_UNUSED; i++) {
        const c = await challengeFor(row, { udid: `UDID-${i}` });
        expect(c.ok).toBe(true);
        // Parsed from our NDES page: NDES's own format, 16 uppercase hex characters.
        if (c.ok) expect(c.challenge).toMatch(/^[0-9A-F]{16}$/);
        if (c.ok) seen.add(c.challenge!);
      }
      expect(seen.size).toBe(NDES_MAX_UNUSED);
      expect(await challengeFor(row, { udid: "UDID-full" })).toMatchObject({ ok: false, kind: "cache_full" });
      expect(await challengeFor((await getExternalScepProfileRow(bad.profile.id))!, { udid: "UDID-bad" })).toMatchObject({ ok: false, kind: "auth_failed" });

      const logs = await api.db.client.enrollmentLog.findMany({ where: { step: "external_challenge", message: { contains: 'profile "peer' } } });
      expect(logs.filter((l) => l.outcome === "OK").length).toBe(NDES_MAX_UNUSED);
      expect(logs.map((l) => l.reason)).toEqual(expect.arrayContaining(["external_challenge_cache_full", "external_challenge_auth_failed"]));
      for (const l of logs) for (const c of seen) expect(l.message).not.toContain(c);
    } finally {
      await extra.close();
    }
  });
});
