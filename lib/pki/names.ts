// Distinguished names as the admin writes them ("CN=x,O=y", RFC 4514 order of
// writing, "\," escapes a comma) and back. One attribute per RDN, in written order: a "+"
// is part of the value, not a multi-valued RDN, so certificates, SCEP templates and the
// profile's SCEP payload all read a subject the same way. The single parser for subjects.
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
};
/** Other spellings, normalised to the ATTRS name when parsing. */
const ALIASES: Record<string, string> = { EMAILADDRESS: "E", EMAIL: "E", S: "ST" };
const SHORT_BY_OID = new Map<string, string>(Object.entries(ATTRS).map(([k, v]) => [v.oid, k]));
const DOTTED_OID = /^[0-2](\.\d+)+$/;
/** Apple's SCEP payload accepts these names in Subject; every other attribute goes as its dotted OID. */
const APPLE_SHORT = new Set(["C", "L", "ST", "O", "OU", "CN"]);

function attrSpec(type: string): { oid: string; kind: "utf8" | "printable" | "ia5" } | undefined {
  return ATTRS[type] ?? (DOTTED_OID.test(type) ? { oid: type, kind: "utf8" } : undefined);
}

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

/**
 * Splits "CN=a\,b,O=c" into parts (types upper-cased, aliases normalised, dotted OIDs kept);
 * throws NameError for unknown attribute types or empty values.
 */
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
    const written = piece.slice(0, eq).trim().toUpperCase();
    // Known OIDs written dotted get their name, so "2.5.4.3=x" and "CN=x" compare equal.
    const type = ALIASES[written] ?? SHORT_BY_OID.get(written) ?? written;
    const value = piece.slice(eq + 1).trim();
    if (!attrSpec(type)) throw new NameError(`unknown name attribute "${written}" (use CN, O, OU, C, ST, L, E, DC, UID, SERIALNUMBER, TITLE, STREET or a dotted OID)`);
    if (!value) throw new NameError(`${written} has an empty value`);
    parts.push({ type, value });
  }
  if (parts.length === 0) throw new NameError("the subject is empty");
  return parts;
}

function valueBlock(kind: "utf8" | "printable" | "ia5", value: string): asn1js.AsnType {
  if (kind === "printable" && /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) return new asn1js.PrintableString({ value });
  if (kind === "ia5" && /^\p{ASCII}*$/u.test(value)) return new asn1js.IA5String({ value });
  return new asn1js.Utf8String({ value });
}

export function buildName(parts: NamePart[]): pkijs.RelativeDistinguishedNames {
  // One RDN (SET) per attribute. pkijs would put every attribute into a single multi-valued
  // RDN when encoding from typesAndValues, so the DER is built here and parsed back.
  const rdns = parts.map((p) => {
    const spec = attrSpec(p.type);
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

/**
 * Escapes a value for a written subject, e.g. one substituted into a template. "+" too:
 * RFC 4514 readers (openssl, other servers) take an unescaped one as a multi-valued RDN.
 */
export function escapeNameValue(value: string): string {
  return value.replace(/([,+\\])/g, "\\$1");
}

/** Parts back to the written form "CN=…,O=…"; parseNameString reads it back unchanged. */
export function formatName(parts: NamePart[]): string {
  return parts.map((p) => `${p.type}=${escapeNameValue(p.value)}`).join(",");
}

export function nameToString(name: pkijs.RelativeDistinguishedNames): string {
  return formatName(nameParts(name));
}

/** Apple's SCEP payload Subject: an array of RDNs, each an array of [type, value] pairs. */
export type AppleSubject = string[][][];

/**
 * A written subject in the SCEP payload's Subject form, "CN=Dev,O=Acme" →
 * [[["CN","Dev"]],[["O","Acme"]]]. Apple names only C, L, ST, O, OU and CN; E, DC, UID and
 * the rest go as dotted OIDs. Throws NameError like parseNameString.
 */
export function nameToAppleSubject(subject: string): AppleSubject {
  return parseNameString(subject).map((p) => [[APPLE_SHORT.has(p.type) ? p.type : attrSpec(p.type)!.oid, p.value]]);
}
