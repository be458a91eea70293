// Signed enrollment profiles: OpenSSL accepts the CMS signature against our CA, and the
// signed content is exactly the profile that passed Apple's schemas.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parsePlist } from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { getCa } from "@/lib/pki/ca";
import { validateProfile } from "@/lib/profiles/appleSchema";
import { ACCESS_RIGHTS_ALL, buildEnrollmentProfile, signProfile } from "@/lib/profiles/enrollmentProfile";
import { opensslVerify } from "./openssl";
import { getProfileTrust } from "@/lib/pki/trust";

let t: TestDb;
let dir: string;
beforeAll(async () => {
  t = await createTestDb();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ota-sign-"));
});
afterAll(async () => {
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("signProfile", () => {
  it("produces CMS that openssl verifies against our CA, wrapping the exact profile", async () => {
    const ca = await getCa();
    const { xml } = buildEnrollmentProfile({
      displayName: "Acme MDM",
      trust: await getProfileTrust(),
      identity: {
        kind: "scep",
        url: "https://mdm.example.test/scep/p1",
        name: "ca",
        challenge: "c",
        subject: "CN=Device",
        keySize: 2048,
        keyUsage: 5,
        allowAllAppsAccess: false,
        keyIsExtractable: false,
      },
      mdm: {
        serverUrl: "https://mdm.example.test/mdm/connect",
        checkInUrl: "https://mdm.example.test/mdm/checkin",
        topic: "com.apple.mgmt.External.x",
        accessRights: ACCESS_RIGHTS_ALL,
        signMessage: true,
        checkOutWhenRemoved: true,
      },
    });
    const signed = await signProfile(xml);
    const content = opensslVerify(signed, ca.certPem, dir);
    expect(content.toString("utf8")).toBe(xml);
    expect(validateProfile(parsePlist(content.toString("utf8")))).toEqual([]);

    // The same bytes against a different CA must fail: the check has teeth.
    const other = execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "k.pem"), "-subj", "/CN=Other", "-days", "1"], {
      stdio: ["ignore", "pipe", "ignore"],
    }).toString();
    expect(() => opensslVerify(signed, other, dir)).toThrow();
    // And a flipped byte in the signed content must fail too.
    const tampered = Buffer.from(signed);
    const at = tampered.indexOf(Buffer.from("Acme MDM"));
    tampered[at] ^= 1;
    expect(() => opensslVerify(tampered, ca.certPem, dir)).toThrow();
  });
});
