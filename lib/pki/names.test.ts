// The one subject parser: written form ↔ parts ↔ DER, and the SCEP payload's Subject form.
import { describe, expect, it } from "vitest";
import { escapeNameValue, formatName, NameError, nameFromString, nameParts, nameToAppleSubject, nameToString, parseNameString } from "./names";

const EMAIL_OID = "1.2.840.113549.1.9.1";
const DC_OID = "0.9.2342.19200300.100.1.25";
const UID_OID = "0.9.2342.19200300.100.1.1";

describe("nameToAppleSubject", () => {
  it("keeps the names Apple's SCEP payload knows (C, L, ST, O, OU, CN), one attribute per RDN", () => {
    expect(nameToAppleSubject("CN=a,O=b,OU=c,L=d,ST=e,C=DE")).toEqual([[["CN", "a"]], [["O", "b"]], [["OU", "c"]], [["L", "d"]], [["ST", "e"]], [["C", "DE"]]]);
  });

  it("writes E, DC, UID and the other attributes as dotted OIDs, never as short names", () => {
    expect(nameToAppleSubject("CN=dev,E=x@example.com,DC=example,DC=com,UID=u1")).toEqual([
      [["CN", "dev"]],
      [[EMAIL_OID, "x@example.com"]],
      [[DC_OID, "example"]],
      [[DC_OID, "com"]],
      [[UID_OID, "u1"]],
    ]);
    expect(nameToAppleSubject("emailAddress=a@b.example,SERIALNUMBER=F1,TITLE=t,STREET=s")).toEqual([[[EMAIL_OID, "a@b.example"]], [["2.5.4.5", "F1"]], [["2.5.4.12", "t"]], [["2.5.4.9", "s"]]]);
    const types = nameToAppleSubject("CN=a,EMAIL=x@y.example,S=Bavaria,UID=1,DC=x")
      .flat()
      .map(([type]) => type);
    for (const t of types) expect(["C", "L", "ST", "O", "OU", "CN"].includes(t) || /^\d+(\.\d+)+$/.test(t), t).toBe(true);
  });

  it("passes dotted OIDs through, names known ones, unescapes values", () => {
    expect(nameToAppleSubject("1.2.3.4=x,2.5.4.3=y")).toEqual([[["1.2.3.4", "x"]], [["CN", "y"]]]);
    expect(nameToAppleSubject("CN=Acme\\, Inc.,O=a+b")).toEqual([[["CN", "Acme, Inc."]], [["O", "a+b"]]]);
  });

  it("refuses what it cannot write with a NameError", () => {
    expect(() => nameToAppleSubject("")).toThrow(NameError);
    expect(() => nameToAppleSubject("CN=")).toThrow(/empty value/);
    expect(() => nameToAppleSubject("XX=1")).toThrow(/unknown name attribute "XX"/);
    expect(() => nameToAppleSubject("$UDID")).toThrow(/TYPE=value/);
  });
});

describe("written form and DER agree", () => {
  it("round-trips through the certificate encoding, E/DC/UID and dotted OIDs included", () => {
    const written = "CN=a\\,b,E=x@example.com,DC=example,UID=u1,1.2.3.4=z,O=p\\+q";
    const parts = nameParts(nameFromString(written));
    expect(parts).toEqual([
      { type: "CN", value: "a,b" },
      { type: "E", value: "x@example.com" },
      { type: "DC", value: "example" },
      { type: "UID", value: "u1" },
      { type: "1.2.3.4", value: "z" },
      { type: "O", value: "p+q" },
    ]);
    expect(nameToString(nameFromString(written))).toBe(written);
    expect(parseNameString(formatName(parts))).toEqual(parts);
  });

  it("escapeNameValue makes any value safe to substitute into a template", () => {
    const value = "a,b+c\\d";
    expect(parseNameString(`CN=${escapeNameValue(value)},O=x`)).toEqual([
      { type: "CN", value },
      { type: "O", value: "x" },
    ]);
  });
});
