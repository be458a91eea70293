// Binary property lists: files written by Python's plistlib (test/fixtures/plist, made by
// make.py there) must read as the values plistlib was given; malformed files (offsets and
// references outside the file, cycles, huge counts, exponential sharing) must fail with a
// PlistError quickly, never hang or throw anything else.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePlistStrict, plistToJson, PlistError } from "@/lib/plist/plist";

const DIR = path.join(__dirname, "../fixtures/plist");
const fixture = (name: string) => new Uint8Array(fs.readFileSync(path.join(DIR, `${name}.bplist`)));

function refusal(bytes: Uint8Array): string {
  try {
    parsePlistStrict(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(PlistError);
    return (err as Error).message;
  }
  throw new Error("accepted");
}

/** A bplist00 file from objects (already encoded) with 1-byte offsets and references. */
function bplist(objects: number[][], top = 0, over: { offsetSize?: number; refSize?: number; numObjects?: number; tableAt?: number } = {}): Uint8Array {
  const head = Buffer.from("bplist00", "latin1");
  const offsets: number[] = [];
  const body: number[] = [];
  for (const o of objects) {
    offsets.push(8 + body.length);
    body.push(...o);
  }
  const tableAt = 8 + body.length;
  const trailer = Buffer.alloc(32);
  trailer[6] = over.offsetSize ?? 1;
  trailer[7] = over.refSize ?? 1;
  trailer.writeBigUInt64BE(BigInt(over.numObjects ?? objects.length), 8);
  trailer.writeBigUInt64BE(BigInt(top), 16);
  trailer.writeBigUInt64BE(BigInt(over.tableAt ?? tableAt), 24);
  return new Uint8Array(Buffer.concat([head, Buffer.from(body), Buffer.from(offsets), trailer]));
}

describe("binary plists written by plistlib", () => {
  for (const name of ["enroll-request", "authenticate", "command-report"]) {
    it(`reads ${name}.bplist as plistlib's input`, () => {
      const expected = JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), "utf8"));
      expect(plistToJson(parsePlistStrict(fixture(name)))).toEqual(expected);
    });
  }

  it("keeps types: Uint8Array for data, Date for dates, numbers for integers and reals", () => {
    const v = parsePlistStrict(fixture("command-report")) as { QueryResponses: Record<string, unknown> };
    expect(v.QueryResponses.PushMagicData).toBeInstanceOf(Uint8Array);
    expect(v.QueryResponses.LastCloudBackupDate).toEqual(new Date("2026-01-02T03:04:05Z"));
    expect(v.QueryResponses.Big).toBe(2 ** 53 - 1);
    expect(v.QueryResponses.BatteryLevel).toBe(0.87);
  });

  it("applies the size limit before reading", () => {
    expect(() => parsePlistStrict(fixture("command-report"), 100)).toThrow(/exceeds 100 bytes/);
  });
});

describe("malformed binary plists", () => {
  const str = (s: string) => [0x50 | s.length, ...Buffer.from(s, "latin1")];

  it("accepts the hand-built baseline", () => {
    expect(parsePlistStrict(bplist([[0xd1, 1, 2], str("a"), [0x09]]))).toEqual({ a: true });
  });

  it("refuses trailers and offset tables that point outside the file", () => {
    expect(refusal(new Uint8Array(Buffer.from("bplist00", "latin1")))).toMatch(/truncated/);
    expect(refusal(bplist([[0x09]], 0, { tableAt: 5000 }))).toMatch(/offset table/);
    expect(refusal(bplist([[0x09]], 0, { numObjects: 2 ** 40 }))).toMatch(/offset table/);
    expect(refusal(bplist([[0x09]], 3))).toMatch(/top object/);
    expect(refusal(bplist([[0x09]], 0, { offsetSize: 0 }))).toMatch(/offset size/);
    expect(refusal(bplist([[0x09]], 0, { refSize: 9 }))).toMatch(/reference size/);
    const bad = bplist([[0xa1, 1], [0x08]]);
    bad[bad.length - 32 - 1] = 0xf0; // second offset far past the objects
    expect(refusal(bad)).toMatch(/outside the object area/);
    expect(refusal(bplist([[0xa1, 7]]))).toMatch(/reference 7 is out of range/);
  });

  it("refuses cycles", () => {
    expect(refusal(bplist([[0xa1, 0]]))).toMatch(/contains itself/);
    expect(refusal(bplist([[0xa1, 1], [0xd1, 2, 0], str("k")]))).toMatch(/contains itself/);
  });

  it("refuses huge counts and lengths without allocating them", () => {
    // Array of 2^62 elements: length as an 8-byte integer object after the 0xAF marker.
    expect(refusal(bplist([[0xaf, 0x13, 0x40, 0, 0, 0, 0, 0, 0, 0]]))).toMatch(/out of range|runs past/);
    expect(refusal(bplist([[0x4f, 0x12, 0x7f, 0xff, 0xff, 0xff]]))).toMatch(/runs past/);
    expect(refusal(bplist([[0x6f, 0x11, 0xff, 0xff]]))).toMatch(/runs past/);
    expect(refusal(bplist([[0x5f, 0x55]]))).toMatch(/not an integer/);
  });

  it("bounds shared references (exponential expansion) by the node budget", () => {
    // Object i is [i+1, i+1]; 40 levels would expand to 2^40 nodes.
    const objects: number[][] = [];
    for (let i = 0; i < 40; i++) objects.push([0xa2, i + 1, i + 1]);
    objects.push([0x09]);
    expect(refusal(bplist(objects))).toMatch(/too many nodes/);
  });

  it("refuses nesting deeper than the XML reader allows", () => {
    const objects: number[][] = [];
    for (let i = 0; i < 60; i++) objects.push([0xa1, i + 1]);
    objects.push([0x09]);
    expect(refusal(bplist(objects))).toMatch(/nested too deeply/);
  });

  it("refuses types MDM never uses and invalid values", () => {
    expect(refusal(bplist([[0x80, 1]]))).toMatch(/UID/);
    expect(refusal(bplist([[0xc1, 1], [0x09]]))).toMatch(/set/);
    expect(refusal(bplist([[0x00]]))).toMatch(/null/);
    expect(refusal(bplist([[0xd1, 1, 2], [0x10, 5], [0x09]]))).toMatch(/key is not a string/);
    expect(refusal(bplist([[0xd2, 1, 1, 2, 2], str("a"), [0x09]]))).toMatch(/duplicate key/);
    expect(refusal(bplist([[0xd1, 1, 2], str("__proto__"), [0x09]]))).toMatch(/not allowed/);
    expect(refusal(bplist([[0x13, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]]))).toMatch(/out of range/);
    expect(refusal(bplist([[0x14, ...new Array(16).fill(0)]]))).toMatch(/out of range/);
    expect(refusal(bplist([[0x23, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]]))).toMatch(/invalid real/);
    expect(refusal(bplist([[0x52, 0xc3, 0xa9]]))).toMatch(/non-ASCII/);
    expect(refusal(bplist([[0x61, 0xd8, 0x00]]))).toMatch(/UTF-16/);
    expect(refusal(new Uint8Array(Buffer.concat([Buffer.from("bplist01", "latin1"), Buffer.alloc(40)])))).toMatch(/not an XML/);
  });
});
