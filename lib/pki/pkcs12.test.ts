// .p12 files as OpenSSL writes them (OpenSSL 3 default PBES2/AES with a SHA-256 MAC; the
// 3DES/SHA-1 scheme of Keychain exports; -legacy RC2; no password): the key and certificate
// come out as OpenSSL itself reads them, a wrong password says so, RC2 gets a conversion hint.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pkcs12Error, readPkcs12 } from "./pkcs12";

let dir: string;
const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
const p12 = (name: string) => fs.readFileSync(path.join(dir, `${name}.p12`));

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "p12-test-"));
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-days", "2", "-subj", "/CN=p12 test"]);
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=p12 test CA"]);
  openssl(["pkcs12", "-export", "-in", "c.pem", "-inkey", "k.pem", "-certfile", "ca.pem", "-out", "modern.p12", "-passout", "pass:sekret wörd"]);
  openssl(["pkcs12", "-export", "-in", "c.pem", "-inkey", "k.pem", "-out", "des.p12", "-passout", "pass:sekret", "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"]);
  openssl(["pkcs12", "-export", "-legacy", "-in", "c.pem", "-inkey", "k.pem", "-out", "legacy.p12", "-passout", "pass:sekret"]);
  openssl(["pkcs12", "-export", "-in", "c.pem", "-inkey", "k.pem", "-out", "empty.p12", "-passout", "pass:"]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const keyDer = (pem: string) => crypto.createPrivateKey(pem).export({ type: "pkcs8", format: "der" });

describe("readPkcs12", () => {
  it("reads the key and every certificate of OpenSSL 3's default and of the 3DES scheme", () => {
    const want = keyDer(fs.readFileSync(path.join(dir, "k.pem"), "utf8"));
    const modern = readPkcs12(p12("modern"), "sekret wörd");
    expect(keyDer(modern.keyPem ?? "").equals(want)).toBe(true);
    const subjects = modern.certPems.map((c) => new crypto.X509Certificate(c).subject).sort();
    expect(subjects).toEqual(["CN=p12 test", "CN=p12 test CA"]);
    const des = readPkcs12(p12("des"), "sekret");
    expect(keyDer(des.keyPem ?? "").equals(want)).toBe(true);
    expect(new crypto.X509Certificate(des.certPems[0] ?? "").checkPrivateKey(crypto.createPrivateKey(des.keyPem ?? ""))).toBe(true);
    expect(readPkcs12(p12("empty"), "").keyPem).not.toBeNull();
  });

  it("says so for a wrong password, RC2, and garbage", () => {
    expect(() => readPkcs12(p12("modern"), "sekret")).toThrow(/Wrong password/);
    expect(() => readPkcs12(p12("des"), "")).toThrow(/Wrong password/);
    expect(() => readPkcs12(p12("legacy"), "sekret")).toThrow(/RC2.*openssl pkcs12/);
    expect(() => readPkcs12(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x03]), "x")).toThrow(Pkcs12Error);
    expect(() => readPkcs12(Buffer.from("not a p12"), "x")).toThrow(/not a readable \.p12/);
  });
});
