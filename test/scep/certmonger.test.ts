// Interoperability with certmonger: its SCEP helper (scep-submit) for GetCACaps and
// GetCACert, the helper's PKIOperation path with a request we build, and the whole
// certmonger daemon (getcert request) enrolling against our real SCEP route, in a private
// D-Bus session with its state directories kept in a temp folder.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { createScepProfile } from "@/lib/scep/profiles";
import { challengeForEnrollment } from "@/lib/scep/challenge";
import { getCa } from "@/lib/pki/ca";
import { toPem } from "@/lib/pki/der";
import { buildCsr, buildPkiMessage, getScepCerts, selfSigned } from "@/test/helpers/scepClient";
import { opensslSubject, opensslText, startScepServer, tempDir, tool } from "./tools";
import crypto from "node:crypto";

const SCEP_SUBMIT = "/usr/lib/certmonger/scep-submit";
const haveHelper = fs.existsSync(SCEP_SUBMIT);
const haveDaemon = fs.existsSync("/usr/sbin/certmonger") && fs.existsSync("/usr/bin/getcert") && fs.existsSync("/usr/bin/dbus-run-session");

let testDb: TestDb;
let server: RouteServer;
let url: string;
let caPem: string;
let dir: string;

beforeAll(async () => {
  testDb = await createTestDb();
  server = await startScepServer();
  const p = await createScepProfile({ name: "certmonger", challengeType: "STATIC", staticChallenge: "certmonger-secret", subjectTemplate: "CN=$UDID,O=Servers", keyUsage: 5, validityDays: 60 });
  url = `${server.url}/scep/${p.profile.id}`;
  caPem = (await getCa()).certPem;
  dir = tempDir("certmonger-");
  fs.writeFileSync(path.join(dir, "ca.pem"), caPem);
});
afterAll(async () => {
  await server?.close();
  await testDb?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!haveHelper)(`certmonger scep-submit${haveHelper ? "" : " (skipped: /usr/lib/certmonger/scep-submit is missing; apt-get install certmonger)"}`, () => {
  it("GetCACaps (-c) prints our capabilities", async () => {
    const r = await tool(SCEP_SUBMIT, ["-u", url, "-c"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")).toEqual(expect.arrayContaining(["POSTPKIOperation", "SHA-256", "AES", "SCEPStandard", "Renewal"]));
  });

  it("GetCACert (-C) prints our CA certificate", async () => {
    const r = await tool(SCEP_SUBMIT, ["-u", url, "-C"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.replace(/\s/g, "")).toContain(caPem.replace(/-----[^-]+-----|\s/g, ""));
  });

  it("SUBMIT: verifies our CertRep against the RA/CA certificate and hands back the envelope, which opens to the certificate", async () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const { raDer } = await getScepCerts(url);
    const csrDer = await buildCsr("CN=helper-host", privateKey, publicKey, "certmonger-secret");
    const signerCertDer = await selfSigned("CN=helper-host", privateKey, publicKey);
    const req = await buildPkiMessage({ csrDer, recipientCertDer: raDer, signerCertDer, signerKeyPem: privateKey });
    const r = await tool(SCEP_SUBMIT, ["-u", url], {
      env: {
        CERTMONGER_OPERATION: "SUBMIT",
        CERTMONGER_PKCSREQ: Buffer.from(req.body).toString("base64"),
        CERTMONGER_SCEP_RA_CERTIFICATE: toPem(raDer, "CERTIFICATE"),
        CERTMONGER_SCEP_CA_CERTIFICATE: caPem,
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("-----BEGIN PKCS7-----");
    const work = tempDir("cm-submit-");
    fs.writeFileSync(path.join(work, "env.pem"), r.stdout);
    fs.writeFileSync(path.join(work, "key.pem"), privateKey);
    fs.writeFileSync(path.join(work, "signer.pem"), toPem(signerCertDer, "CERTIFICATE"));
    const opened = await tool("openssl", [
      "cms",
      "-decrypt",
      "-inform",
      "PEM",
      "-in",
      path.join(work, "env.pem"),
      "-inkey",
      path.join(work, "key.pem"),
      "-recip",
      path.join(work, "signer.pem"),
      "-out",
      path.join(work, "certs.der"),
    ]);
    expect(opened.code, opened.stderr).toBe(0);
    const certs = await tool("openssl", ["pkcs7", "-inform", "DER", "-in", path.join(work, "certs.der"), "-print_certs", "-out", path.join(work, "issued.pem")]);
    expect(certs.code, certs.stderr).toBe(0);
    expect(await opensslSubject(path.join(work, "issued.pem"))).toBe("/CN=helper-host/O=Servers");
    expect((await tool("openssl", ["verify", "-CAfile", path.join(dir, "ca.pem"), path.join(work, "issued.pem")])).stdout).toMatch(/OK/);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("SUBMIT with a wrong challenge: the helper reports the rejection (exit 2)", async () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const { raDer } = await getScepCerts(url);
    const csrDer = await buildCsr("CN=helper-host", privateKey, publicKey, "wrong");
    const signerCertDer = await selfSigned("CN=helper-host", privateKey, publicKey);
    const req = await buildPkiMessage({ csrDer, recipientCertDer: raDer, signerCertDer, signerKeyPem: privateKey });
    const r = await tool(SCEP_SUBMIT, ["-u", url], {
      env: {
        CERTMONGER_OPERATION: "SUBMIT",
        CERTMONGER_PKCSREQ: Buffer.from(req.body).toString("base64"),
        CERTMONGER_SCEP_RA_CERTIFICATE: toPem(raDer, "CERTIFICATE"),
        CERTMONGER_SCEP_CA_CERTIFICATE: caPem,
      },
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    // certmonger's wording for failInfo badRequest.
    expect(r.stdout + r.stderr).toMatch(/Transaction either is not permitted or is not supported/);
  });
});

describe.skipIf(!haveDaemon)(`certmonger daemon (getcert request)${haveDaemon ? "" : " (skipped: certmonger, getcert or dbus-run-session is missing; apt-get install certmonger dbus)"}`, () => {
  it("enrolls with the static challenge and tracks the certificate", async () => {
    const state = path.join(dir, "state");
    for (const d of ["cas", "requests", "local", "tmp", "config"]) fs.mkdirSync(path.join(state, d), { recursive: true });
    const challenge = await challengeForEnrollment((await testDb.client.scepProfile.findFirstOrThrow({ where: { name: "certmonger" } })).id, {});
    const script = [
      `certmonger -s -n -d 1 > "${dir}/daemon.log" 2>&1 &`,
      "CM=$!",
      "for i in $(seq 1 50); do getcert list-cas -s >/dev/null 2>&1 && break; sleep 0.2; done",
      // No -r/-N: the daemon discovers the RA and CA from our GetCACert bundle itself.
      `getcert add-scep-ca -s -c openenroll -u '${url}'`,
      `getcert request -s -c openenroll -f "${dir}/cert.pem" -k "${dir}/key.pem" -L '${challenge}' -N CN=daemon-host -w -v`,
      "RC=$?",
      "getcert list -s",
      "kill $CM; wait $CM 2>/dev/null",
      "exit $RC",
    ].join("\n");
    const r = await tool("dbus-run-session", ["--", "bash", "-c", script], {
      env: {
        HOME: dir,
        CERTMONGER_CAS_DIR: path.join(state, "cas"),
        CERTMONGER_REQUESTS_DIR: path.join(state, "requests"),
        CERTMONGER_LOCAL_CA_DIR: path.join(state, "local"),
        CERTMONGER_TMPDIR: path.join(state, "tmp"),
        CERTMONGER_CONFIG_DIR: path.join(state, "config"),
      },
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/status: MONITORING/);
    const certPath = path.join(dir, "cert.pem");
    expect((await tool("openssl", ["verify", "-CAfile", path.join(dir, "ca.pem"), certPath])).stdout).toMatch(/OK/);
    expect(await opensslSubject(certPath)).toBe("/CN=daemon-host/O=Servers");
    expect(await opensslText(certPath)).toMatch(/Digital Signature, Key Encipherment/);
    // The daemon's state stayed in our folder.
    expect(fs.readdirSync(path.join(state, "requests")).length).toBe(1);
    const log = await testDb.client.enrollmentLog.findFirstOrThrow({ where: { step: "scep", outcome: "OK", message: { contains: "daemon-host" } } });
    expect(log.message).toMatch(/DYNAMIC|STATIC/);
  });
});
