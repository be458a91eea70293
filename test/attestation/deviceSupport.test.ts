import crypto, { X509Certificate } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { issuedByAppleDeviceCa } from "@/lib/attestation/appleDeviceIdentity";
import { APPLE_IPHONE_DEVICE_CA_PEM, APPLE_IPHONE_DEVICE_CA_SHA256 } from "@/lib/attestation/appleRoots";
import { attestSupport } from "@/lib/attestation/deviceSupport";
import { fromPem } from "@/lib/pki/der";
import { makeDeviceIdentity, makeTestDeviceCa } from "../helpers/fakeProfileService";

describe("attestSupport (Apple's hardware table and OS minimums)", () => {
  it.each([
    ["iPhone10,3", "16.0", true], // iPhone X, A11
    ["iPhone9,1", "16.7", false], // iPhone 7, A10
    ["iPhone15,2", "15.7", false], // iOS 15
    ["iPad8,1", "17.0", true], // A12X
    ["iPad7,5", "17.0", false], // A10
    ["iPad13,4", "17.4", true], // M1
    ["Mac14,2", "14.0", true], // M2 MacBook Air
    ["MacBookPro18,3", "14.4", true], // M1 Pro
    ["MacBookPro16,1", "14.4", false], // Intel
    ["iMac21,1", "13.6", false], // M1 on macOS 13
    ["Macmini9,1", "15.0", true],
    ["AppleTV11,1", "17.0", true], // A12
    ["AppleTV6,2", "17.0", false], // A10X
    ["RealityDevice14,1", "1.0", true],
    ["VirtualMac2,1", "14.0", false],
  ])("%s on %s → %s", (product, osVersion, ok) => {
    expect(attestSupport({ product, osVersion }).ok).toBe(ok);
  });

  it("reads the OS from a build number (Profile Service VERSION)", () => {
    expect(attestSupport({ product: "iPhone15,2", buildVersion: "21E236" }).ok).toBe(true); // iOS 17.4
    expect(attestSupport({ product: "iPhone15,2", buildVersion: "19H12" }).ok).toBe(false); // iOS 15.7
    expect(attestSupport({ product: "Mac14,2", buildVersion: "23E224" }).ok).toBe(true); // macOS 14.4
    expect(attestSupport({ product: "Mac14,2", buildVersion: "22G120" }).ok).toBe(false); // macOS 13.5
    expect(attestSupport({ product: "iPhone15,2" })).toEqual({ ok: false, why: "the OS version is unknown" });
    expect(attestSupport({ product: null }).ok).toBe(false);
  });
});

describe("Apple iPhone Device CA (Profile Service signers)", () => {
  afterEach(() => {
    delete process.env.PROFILE_SERVICE_TEST_CA_PEM;
  });

  it("is the certificate with the published fingerprint (expired in 2014, as Apple says to ignore)", () => {
    const cert = new X509Certificate(APPLE_IPHONE_DEVICE_CA_PEM);
    expect(crypto.createHash("sha256").update(cert.raw).digest("hex")).toBe(APPLE_IPHONE_DEVICE_CA_SHA256);
    expect(cert.subject).toContain("CN=Apple iPhone Device CA");
    expect(cert.issuer).toContain("CN=Apple iPhone Certification Authority");
  });

  it("recognises a device certificate its CA signed, ignoring dates, and nothing else", () => {
    const ca = makeTestDeviceCa();
    const other = makeTestDeviceCa();
    const signed = fromPem(makeDeviceIdentity("00008030-0011223344556677", ca).certPem);
    const self = fromPem(makeDeviceIdentity("00008030-0011223344556677", null).certPem);
    const foreign = fromPem(makeDeviceIdentity("00008030-0011223344556677", other).certPem);
    expect(issuedByAppleDeviceCa(signed)).toBe(false); // Apple's CA is the default anchor
    process.env.PROFILE_SERVICE_TEST_CA_PEM = ca.caPem;
    expect(issuedByAppleDeviceCa(signed)).toBe(true);
    expect(issuedByAppleDeviceCa(self)).toBe(false);
    expect(issuedByAppleDeviceCa(foreign)).toBe(false); // same name, other key
    expect(issuedByAppleDeviceCa(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]))).toBe(false);
  });
});
