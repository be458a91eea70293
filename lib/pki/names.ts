// Distinguished names as the admin writes them ("CN=x,O=y", RFC 4514 order of
// writing, "\," escapes a comma) and back. One attribute per RDN, in written order.
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

const ATTRS: Record<string, { oid: string; kind: "utf8" | "printable" | "ia5" }> = {
  CN: { oid: "2.5.4.3", kind: "utf8" },
  C: { oid: "2.5.4.6", kind: "printable" },
  L: { oid: "2.5.4.7", kind: "utf8" },
  ST: { oid: "2.5.4.8", kind: "utf8" },
  O: { oid: "2.5.4.10", kind: "utf8" },
  OU: { oid: "2.5.4.11", kind: "utf8" },
  SERIALNUMBER: { oid: "2.5.4.5", kind: "printable" },
  TITLE: { oid: "2.5.4.12", kind: "utf8" },
  STREET: { oid: "2.5.4.9", kind: "utf8" },
  DC: { oid: "0.9.2342.19200300.100.1.25", kind: "ia5" },
  UID: { oid: "0.9.2342.19200300.100.1.1", kind: "utf8" },
  E: { oid: "1.2.840.113549.1.9.1", kind: "ia5" },
  EMAILADDRESS: { oid: "1.2.840.113549.1.9.1", kind: "ia5" },
};
const SHORT_BY_OID = new Map<string, string>(
  Object.entries(ATTRS)
    .filter(([k]) => k !== "EMAILADDRESS")
    .map(([k, v]) => [v.oid, k]),
);

export class NameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NameError";
  }
}

export interface NamePart {
  type: string;
  value: string;
}

/** Splits "CN=a\,b,O=c" into parts; throws NameError for unknown attribute types or empty values. */
export function parseNameString(subject: string): NamePart[] {
  const parts: NamePart[] = [];
  let current = "";
  const pieces: string[] = [];
  for (let i = 0; i < subject.length; i++) {
    const ch = subject[i];
    if (ch === "\\" && i + 1 < subject.length) {
      current += subject[++i];
      continue;
    }
    if (ch === ",") {
      pieces.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  pieces.push(current);
  for (const piece of pieces) {
    if (piece.trim() === "" && pieces.length > 1) continue;
    const eq = piece.indexOf("=");
    if (eq <= 0) throw new NameError(`"${piece.trim()}" is not TYPE=value`);
    const type = piece.slice(0, eq).trim().toUpperCase();
    const value = piece.slice(eq + 1).trim();
    if (!ATTRS[type]) throw new NameError(`unknown name attribute "${type}" (use CN, O, OU, C, ST, L, E, DC, UID, SERIALNUMBER)`);
    if (!value) throw new NameError(`${type} has an empty value`);
    parts.push({ type: type === "EMAILADDRESS" ? "E" : type, value });
  }
  if (parts.length === 0) throw new NameError("the subject is empty");
  return parts;
}

function valueBlock(kind: "utf8" | "printable" | "ia5", value: string): asn1js.AsnType {
  if (kind === "printable" && /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) return new asn1js.PrintableString({ value });
  if (kind === "ia5" && /^[\x00-\x7f]*$/.test(value)) return new asn1js.IA5String({ value });
  return new asn1js.Utf8String({ value });
}

export function buildName(parts: NamePart[]): pkijs.RelativeDistinguishedNames {
  // One RDN (SET) per attribute. pkijs would put every attribute into a single multi-valued
  // RDN when encoding from typesAndValues, so the DER is built here and parsed back.
  const rdns = parts.map((p) => {
    const spec = ATTRS[p.type];
    if (!spec) throw new NameError(`unknown name attribute "${p.type}"`);
    const atv = new pkijs.AttributeTypeAndValue({ type: spec.oid, value: valueBlock(spec.kind, p.value) as never });
    return new asn1js.Set({ value: [atv.toSchema()] });
  });
  const der = new asn1js.Sequence({ value: rdns }).toBER(false);
  return pkijs.RelativeDistinguishedNames.fromBER(der);
}

export function nameFromString(subject: string): pkijs.RelativeDistinguishedNames {
  return buildName(parseNameString(subject));
}

/** The parts of a parsed name, unknown OIDs kept as their dotted form. */
export function nameParts(name: pkijs.RelativeDistinguishedNames): NamePart[] {
  return name.typesAndValues.map((tv) => ({
    type: SHORT_BY_OID.get(tv.type) ?? tv.type,
    value: String((tv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value ?? ""),
  }));
}

function escape(value: string): string {
  return value.replace(/([,\\])/g, "\\$1");
}

export function nameToString(name: pkijs.RelativeDistinguishedNames): string {
  return nameParts(name)
    .map((p) => `${p.type}=${escape(p.value)}`)
    .join(",");
}

/** Apple's SCEP payload Subject form: [[["CN","x"]],[["O","y"]]]. */
export function nameToAppleSubject(subject: string): string[][][] {
  return parseNameString(subject).map((p) => [[p.type, p.value]]);
}
