// The enrollment profile builder: every variant passes Apple's schemas, UUIDs and
// identifiers are unique, the MDM payload points at the identity payload.
import crypto from "node:crypto";
import { parse as parsePlist } from "plist";
import { describe, expect, it } from "vitest";
import { validateProfile } from "@/lib/profiles/appleSchema";
import { ACCESS_RIGHTS_ALL, buildEnrollmentProfile, defaultIdentifierBase, type EnrollmentProfileOptions } from "@/lib/profiles/enrollmentProfile";

const rootCaDer = crypto.randomBytes(600);
const caFingerprint = crypto.createHash("sha1").update(rootCaDer).digest();

function options(over: Partial<EnrollmentProfileOptions> = {}): EnrollmentProfileOptions {
  return {
    displayName: "Acme MDM",
    organization: "Acme",
    trust: { rootDer: rootCaDer, caFingerprint },
    identity: {
      kind: "scep",
      url: "https://mdm.example.test/scep/prof1",
      name: "Open Enroll CA",
      challenge: "s3cret-challenge",
      subject: "CN=Device 1234,O=Acme\\, Inc.",
      keySize: 2048,
      keyUsage: 5,
      allowAllAppsAccess: false,
      keyIsExtractable: false,
    },
    mdm: {
      serverUrl: "https://mdm.example.test/mdm/connect",
      checkInUrl: "https://mdm.example.test/mdm/checkin",
      topic: "com.apple.mgmt.External.1234",
      accessRights: ACCESS_RIGHTS_ALL,
      signMessage: true,
      checkOutWhenRemoved: true,
      serverCapabilities: ["com.apple.mdm.per-user-connections", "com.apple.mdm.bootstraptoken"],
    },
    ...over,
  };
}

type Dict = Record<string, unknown>;

describe("buildEnrollmentProfile", () => {
  it("emits root, SCEP and MDM payloads that pass Apple's schemas on iOS and macOS", () => {
    const { xml, payloadUuids, identifiers } = buildEnrollmentProfile(options());
    const top = parsePlist(xml) as Dict;
    expect(validateProfile(top)).toEqual([]);
    expect(validateProfile(top, { os: "iOS", userEnrollment: false })).toEqual([]);
    expect(validateProfile(top, { os: "macOS", userEnrollment: false })).toEqual([]);
    const content = top.PayloadContent as Dict[];
    expect(content.map((p) => p.PayloadType)).toEqual(["com.apple.security.root", "com.apple.security.scep", "com.apple.mdm"]);
    const [root, scep, mdm] = content;
    expect(Buffer.from(root.PayloadContent as Uint8Array).equals(rootCaDer)).toBe(true);
    // Apple's schema: CAFingerprint is <data>; 20 bytes (SHA-1), a length Apple's SCEP client recognises.
    expect(Buffer.from((scep.PayloadContent as Dict).CAFingerprint as Uint8Array).equals(caFingerprint)).toBe(true);
    expect(scep.PayloadContent).toMatchObject({
      URL: "https://mdm.example.test/scep/prof1",
      Challenge: "s3cret-challenge",
      Subject: [[["CN", "Device 1234"]], [["O", "Acme, Inc."]]],
      Keysize: 2048,
      "Key Usage": 5,
      KeyIsExtractable: false,
      AllowAllAppsAccess: false,
    });
    expect(mdm).toMatchObject({
      IdentityCertificateUUID: scep.PayloadUUID,
      ServerURL: "https://mdm.example.test/mdm/connect",
      CheckInURL: "https://mdm.example.test/mdm/checkin",
      Topic: "com.apple.mgmt.External.1234",
      AccessRights: 8191,
      SignMessage: true,
      CheckOutWhenRemoved: true,
    });
    expect(payloadUuids.identity).toBe(scep.PayloadUUID);
    expect(top.PayloadIdentifier).toBe(identifiers.profile);
    const allUuids = [top.PayloadUUID, ...content.map((p) => p.PayloadUUID)];
    const allIds = [top.PayloadIdentifier, ...content.map((p) => p.PayloadIdentifier)];
    expect(new Set(allUuids).size).toBe(4);
    expect(new Set(allIds).size).toBe(4);
  });

  it("gives every build fresh UUIDs and a stable top-level identifier", () => {
    const a = buildEnrollmentProfile(options());
    const b = buildEnrollmentProfile(options());
    expect(a.payloadUuids.mdm).not.toBe(b.payloadUuids.mdm);
    expect(a.identifiers.profile).toBe(b.identifiers.profile);
    expect(defaultIdentifierBase("https://mdm.example.com:8443")).toBe("com.example.mdm.enroll");
  });

  it("builds user-enrollment (BYOD) and ADDE variants without AccessRights for BYOD", () => {
    const byod = parsePlist(buildEnrollmentProfile(options({ mdm: { ...options().mdm, accessRights: undefined, enrollmentMode: "BYOD", assignedManagedAppleId: "alice@example.com" } })).xml) as Dict;
    expect(validateProfile(byod, { os: "iOS", userEnrollment: true })).toEqual([]);
    const mdm = (byod.PayloadContent as Dict[])[2];
    expect(mdm.AccessRights).toBeUndefined();
    expect(mdm).toMatchObject({ EnrollmentMode: "BYOD", AssignedManagedAppleID: "alice@example.com" });
    expect(() => buildEnrollmentProfile(options({ mdm: { ...options().mdm, enrollmentMode: "BYOD" } }))).toThrow(/AccessRights/);

    const adde = parsePlist(buildEnrollmentProfile(options({ mdm: { ...options().mdm, enrollmentMode: "ADDE", assignedManagedAppleId: "bob@example.com" } })).xml) as Dict;
    expect(validateProfile(adde, { os: "macOS", userEnrollment: false })).toEqual([]);
  });

  it("builds a PKCS#12 identity variant", () => {
    const p = parsePlist(buildEnrollmentProfile(options({ identity: { kind: "pkcs12", data: crypto.randomBytes(900), password: "pw", keyIsExtractable: false } })).xml) as Dict;
    expect(validateProfile(p)).toEqual([]);
    const [, id, mdm] = p.PayloadContent as Dict[];
    expect(id.PayloadType).toBe("com.apple.security.pkcs12");
    expect(mdm.IdentityCertificateUUID).toBe(id.PayloadUUID);
  });

  it("refuses options Apple would reject", () => {
    const scep = options().identity;
    if (scep.kind !== "scep") throw new Error("unreachable");
    expect(() => buildEnrollmentProfile(options({ identity: { ...scep, keySize: 3072 } }))).toThrow(/key size/);
    expect(() => buildEnrollmentProfile(options({ identity: { ...scep, url: "https://x/scep?profile=1" } }))).toThrow(/query/);
    expect(() => buildEnrollmentProfile(options({ mdm: { ...options().mdm, serverUrl: "http://insecure/mdm" } }))).toThrow(/https/);
    expect(buildEnrollmentProfile(options({ mdm: { ...options().mdm, serverUrl: "http://localhost:3000/mdm/connect", checkInUrl: "http://localhost:3000/mdm/checkin" } })).xml).toContain(
      "http://localhost:3000/mdm/connect",
    );
    expect(() => buildEnrollmentProfile(options({ mdm: { ...options().mdm, accessRights: 2 } }))).toThrow(/requires 1/);
    expect(() => buildEnrollmentProfile(options({ identity: { ...scep, subject: "XX=1" } }))).toThrow(/SCEP subject: unknown name attribute "XX"/);
  });
});
