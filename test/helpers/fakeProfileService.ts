// A device's side of Apple's Profile Service (phase two of device-bound OTA enrollment): a
// stand-in for Apple's iPhone Device CA (RSA 1024, SHA-1, as the real one), a device identity
// it issued, and the signed attributes a device posts, signed by OpenSSL's own CMS encoder
// (`openssl cms -sign`), not by our code.
import { execFileSync } from "node:child_process";
import crypto, { type KeyObject } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { build as buildPlist } from "plist";
import { toPem } from "@/lib/pki/der";
import { verifySignedData } from "@/lib/pki/cms";
import { isPlistDict, parsePlistStrict } from "@/lib/plist/plist";
import { makeTestCertificate } from "./fakeAppleAttestation";

export interface TestDeviceCa {
  caPem: string;
  caKey: KeyObject;
}

const YEAR = 365 * 86_400_000;

export function makeTestDeviceCa(): TestDeviceCa {
  const k = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 });
  const der = makeTestCertificate({
    subjectCn: "Test iPhone Device CA",
    issuerCn: "Test iPhone Certification Authority",
    publicKey: k.publicKey,
    signingKey: k.privateKey,
    ca: true,
    hash: "sha1",
    organization: "Apple Inc.",
  });
  return { caPem: toPem(der, "CERTIFICATE"), caKey: k.privateKey };
}

export interface DeviceIdentity {
  certPem: string;
  keyPem: string;
}

/** A device identity certificate; issued by `ca`, or self-signed (a device no Apple CA vouches for). Dates already expired, as real ones often are. */
export function makeDeviceIdentity(udid: string, ca: TestDeviceCa | null): DeviceIdentity {
  const k = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 });
  const der = makeTestCertificate({
    subjectCn: udid,
    issuerCn: ca ? "Test iPhone Device CA" : udid,
    publicKey: k.publicKey,
    signingKey: ca ? ca.caKey : k.privateKey,
    hash: "sha1",
    organization: "Apple Inc.",
    notBefore: new Date(Date.now() - 3 * YEAR),
    notAfter: new Date(Date.now() - YEAR),
  });
  return { certPem: toPem(der, "CERTIFICATE"), keyPem: k.privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

/** The Profile Service payload of a served (signed) phase-one profile. */
export async function readProfileService(signed: Uint8Array): Promise<{ url: string; challenge: string; attributes: string[]; top: Record<string, unknown> }> {
  const { content } = await verifySignedData(signed);
  const top = parsePlistStrict(content);
  if (!isPlistDict(top) || top.PayloadType !== "Profile Service") throw new Error("not a Profile Service profile");
  const c = top.PayloadContent;
  if (!isPlistDict(c)) throw new Error("Profile Service without PayloadContent");
  return { url: String(c.URL), challenge: String(c.Challenge), attributes: (c.DeviceAttributes as string[]) ?? [], top };
}

/** The attributes plist signed as a device does (attached content, SHA-1, signer certificate and its CA included). */
export function signDeviceAttributes(attrs: Record<string, string>, identity: DeviceIdentity, ca: TestDeviceCa | null): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ps-"));
  try {
    fs.writeFileSync(path.join(dir, "attrs.plist"), buildPlist(attrs));
    fs.writeFileSync(path.join(dir, "cert.pem"), identity.certPem);
    fs.writeFileSync(path.join(dir, "key.pem"), identity.keyPem);
    const args = [
      "cms",
      "-sign",
      "-binary",
      "-nodetach",
      "-outform",
      "DER",
      "-md",
      "sha1",
      "-in",
      path.join(dir, "attrs.plist"),
      "-signer",
      path.join(dir, "cert.pem"),
      "-inkey",
      path.join(dir, "key.pem"),
    ];
    if (ca) {
      fs.writeFileSync(path.join(dir, "ca.pem"), ca.caPem);
      args.push("-certfile", path.join(dir, "ca.pem"));
    }
    return execFileSync("openssl", args);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Posts signed attributes as the device does. */
export function postDeviceAttributes(url: string, body: Uint8Array): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/pkcs7-signature" }, body: new Uint8Array(body) });
}
