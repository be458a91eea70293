// The DER of every AlgorithmIdentifier we write, pinned against bytes written out by hand
// from the RFCs (not from our own encoder).
import { describe, expect, it } from "vitest";
import { algorithmIdentifierDer } from "./der";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("algorithmIdentifierDer", () => {
  it("PKCS#1 signature and key-transport identifiers carry NULL (RFC 4055 §5, RFC 8017 A.1)", () => {
    expect(hex(algorithmIdentifierDer("1.2.840.113549.1.1.11"))).toBe("300d06092a864886f70d01010b0500"); // sha256WithRSAEncryption
    expect(hex(algorithmIdentifierDer("1.2.840.113549.1.1.12"))).toBe("300d06092a864886f70d01010c0500"); // sha384WithRSAEncryption
    expect(hex(algorithmIdentifierDer("1.2.840.113549.1.1.13"))).toBe("300d06092a864886f70d01010d0500"); // sha512WithRSAEncryption
    expect(hex(algorithmIdentifierDer("1.2.840.113549.1.1.5"))).toBe("300d06092a864886f70d0101050500"); // sha1WithRSAEncryption
    expect(hex(algorithmIdentifierDer("1.2.840.113549.1.1.1"))).toBe("300d06092a864886f70d0101010500"); // rsaEncryption
  });

  it("SHA-2 digest identifiers omit the parameter (RFC 5754 §2)", () => {
    expect(hex(algorithmIdentifierDer("2.16.840.1.101.3.4.2.1"))).toBe("300b0609608648016503040201"); // id-sha256
    expect(hex(algorithmIdentifierDer("2.16.840.1.101.3.4.2.2"))).toBe("300b0609608648016503040202"); // id-sha384
    expect(hex(algorithmIdentifierDer("2.16.840.1.101.3.4.2.3"))).toBe("300b0609608648016503040203"); // id-sha512
  });

  it("ECDSA signature identifiers omit the parameter (RFC 5758 §3.2)", () => {
    expect(hex(algorithmIdentifierDer("1.2.840.10045.4.3.2"))).toBe("300a06082a8648ce3d040302"); // ecdsa-with-SHA256
  });

  it("refuses an OID it has no rule for rather than guessing", () => {
    expect(() => algorithmIdentifierDer("1.2.3.4")).toThrow(/no AlgorithmIdentifier rule/);
  });
});
