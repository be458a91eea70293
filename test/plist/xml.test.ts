// The strict XML plist reader: what it accepts from devices and exactly why it refuses the rest.
import { describe, expect, it } from "vitest";
import { buildPlist, parsePlistStrict, PlistError } from "@/lib/plist/plist";

const APPLE = `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n`;
const wrap = (inner: string, head = APPLE) => `${head}<plist version="1.0">${inner}</plist>`;

function refusal(xml: string): string {
  try {
    parsePlistStrict(xml);
  } catch (err) {
    expect(err).toBeInstanceOf(PlistError);
    return (err as Error).message;
  }
  throw new Error("accepted");
}

describe("parsePlistStrict", () => {
  it("reads every plist type, with Apple's DOCTYPE, and round-trips what we build", () => {
    const v = parsePlistStrict(
      wrap(`<dict><key>s</key><string>a &amp; b</string><key>i</key><integer>-42</integer><key>r</key><real>0.5</real><key>t</key><true/><key>f</key><false/>
        <key>d</key><date>2026-01-02T03:04:05Z</date><key>b</key><data>AAEC
        /w==</data><key>a</key><array><string>x</string><dict/></array><!-- comment --></dict>`),
    );
    expect(v).toEqual({ s: "a & b", i: -42, r: 0.5, t: true, f: false, d: new Date("2026-01-02T03:04:05Z"), b: new Uint8Array([0, 1, 2, 255]), a: ["x", {}] });
    const built = buildPlist({ Token: new Uint8Array([1, 2, 3]), When: new Date("2026-05-01T00:00:00Z"), N: 7, Nested: { List: ["a"] } });
    expect(built).toContain("<!DOCTYPE plist PUBLIC");
    expect(parsePlistStrict(built)).toEqual({ Token: new Uint8Array([1, 2, 3]), When: new Date("2026-05-01T00:00:00Z"), N: 7, Nested: { List: ["a"] } });
  });

  it("refuses entities, internal subsets and foreign DOCTYPEs before parsing", () => {
    expect(refusal(wrap(`<string>&x;</string>`, `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY x "y">]>`))).toMatch(/ENTITY/);
    expect(refusal(wrap(`<string/>`, `<?xml version="1.0"?><!DOCTYPE plist [ ]>`))).toMatch(/DOCTYPE/);
    expect(refusal(wrap(`<string/>`, `<?xml version="1.0"?><!DOCTYPE plist SYSTEM "file:///etc/passwd">`))).toMatch(/DOCTYPE/);
    expect(refusal(wrap(`<string/>`, APPLE + APPLE.split("\n")[1]))).toMatch(/DOCTYPE/);
    expect(refusal(wrap(`<string>&unknown;</string>`))).toMatch(/XML/);
  });

  it("refuses malformed XML and non-plist values instead of guessing", () => {
    expect(refusal(`<plist><dict><key>a</key></dict>`)).toMatch(/XML|key without a value/);
    expect(refusal(wrap(`<dict><key>a</key><string>x</string></dict>`).replace("</plist>", ""))).toMatch(/XML/);
    expect(refusal(wrap(`<integer>12abc</integer>`))).toMatch(/integer/);
    expect(refusal(wrap(`<integer>99999999999999999999</integer>`))).toMatch(/integer/);
    expect(refusal(wrap(`<date>yesterday</date>`))).toMatch(/date/);
    expect(refusal(wrap(`<data>***</data>`))).toMatch(/base64/);
    expect(refusal(wrap(`<dict><key>a</key><string/><key>a</key><string/></dict>`))).toMatch(/duplicate/);
    expect(refusal(wrap(`<dict><key>__proto__</key><string/></dict>`))).toMatch(/not allowed/);
    expect(refusal(wrap(`<script/>`))).toMatch(/unknown plist element/);
    expect(refusal(wrap(`<string>a</string><string>b</string>`))).toMatch(/exactly one/);
    expect(refusal(wrap(`${"<array>".repeat(60)}${"</array>".repeat(60)}`))).toMatch(/nested too deeply/);
    expect(refusal(`{ a = b; }`)).toMatch(/not an XML/);
    expect(refusal(`bplist00`)).toMatch(/not an XML/);
    expect(() => parsePlistStrict(new Uint8Array([0x3c, 0xff, 0xfe]))).toThrow(/UTF-8/);
    expect(() => parsePlistStrict(wrap("<string/>"), 10)).toThrow(/exceeds/);
  });
});
