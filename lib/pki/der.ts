// DER/PEM plumbing shared by the PKI modules: PEM armour, safe DER parsing of
// untrusted bytes, OCTET STRING flattening, serial and fingerprint formatting.
import crypto from "node:crypto";
import * as asn1js from "asn1js";

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** The DER inside the first PEM block with one of the labels (or any label when none given). */
export function fromPem(pem: string, labels?: string[]): Uint8Array {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const m of pem.matchAll(re)) {
    if (labels && !labels.includes(m[1])) continue;
    const body = m[2].replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/=]*$/.test(body)) throw new DerError(`PEM block ${m[1]} is not base64`);
    return new Uint8Array(Buffer.from(body, "base64"));
  }
  throw new DerError(labels ? `no PEM block of type ${labels.join(" or ")}` : "no PEM block");
}

/** All PEM blocks with the label, in order. */
export function allFromPem(pem: string, label: string): Uint8Array[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, "g");
  return [...pem.matchAll(re)].map((m) => new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ""), "base64")));
}

/** Parses one complete DER/BER element; trailing garbage or a parse error throws DerError. */
export function parseDer(bytes: Uint8Array, what: string): asn1js.AsnType {
  if (bytes.byteLength === 0) throw new DerError(`${what}: empty`);
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1) throw new DerError(`${what}: not valid DER (${parsed.result.error || "parse error"})`);
  if (parsed.offset !== bytes.byteLength) throw new DerError(`${what}: trailing bytes after the DER element`);
  return parsed.result;
}

/**
 * Plain ArrayBuffer copy (pkijs and WebCrypto want ArrayBuffer, not a view on a shared one).
 * Uint8Array's slice, not Buffer's: Buffer#slice is a view, and the .buffer of a small
 * Buffer is Node's shared 8 KB pool (other data of the process would end up in the DER).
 */
export function ab(bytes: Uint8Array): ArrayBuffer {
  return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer;
}

/** The bytes of an OCTET STRING, primitive or constructed (BER from some clients). */
export function octets(value: asn1js.AsnType | undefined | null): Uint8Array {
  if (!value || !(value instanceof asn1js.OctetString)) throw new DerError("expected an OCTET STRING");
  return stringBytes(value);
}

/**
 * The content bytes of a string-like element whatever its tag (an IMPLICIT [0] OCTET STRING
 * arrives as a context-tagged primitive or constructed element).
 */
export function stringBytes(value: asn1js.AsnType | undefined | null): Uint8Array {
  if (!value) throw new DerError("expected a string value");
  const block = value.valueBlock as { valueHexView?: Uint8Array; value?: asn1js.AsnType[] };
  if (value.idBlock.isConstructed) {
    if (!Array.isArray(block.value)) throw new DerError("malformed constructed string");
    return new Uint8Array(Buffer.concat(block.value.map((inner) => stringBytes(inner))));
  }
  if (!block.valueHexView) throw new DerError("expected a primitive string");
  return new Uint8Array(block.valueHexView);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a).equals(Buffer.from(b));
}

export function sha256Fingerprint(der: Uint8Array): string {
  return crypto.createHash("sha256").update(der).digest("hex");
}

/** A positive 128-bit serial (top bit clear, first byte non-zero so the hex is stable). */
export function randomSerial(): Uint8Array {
  const bytes = crypto.randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x10;
  return new Uint8Array(bytes);
}

/** Hex form of an INTEGER's content bytes, leading zero octets dropped; the form stored in Certificate.serial. */
export function serialHex(serial: asn1js.Integer): string {
  let bytes = new Uint8Array(serial.valueBlock.valueHexView);
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
  return Buffer.from(bytes).toString("hex");
}

/** One DER TLV (definite length), for assembling structures around raw DER without re-parsing it. */
export function derTlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(content);
  const n = body.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = [0x80 | bytes.length, ...bytes];
  }
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...len]), body]));
}

const oidCache = new Map<string, Uint8Array>();
/** DER OBJECT IDENTIFIER element for a dotted OID (cached: the same few OIDs go into every message). */
export function oidDer(oid: string): Uint8Array {
  let der = oidCache.get(oid);
  if (!der) {
    der = new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).toBER(false));
    oidCache.set(oid, der);
  }
  return der;
}

// AlgorithmIdentifiers: the one place that decides their parameters.
const NULL_PARAMS = new Uint8Array([0x05, 0x00]);
/** PKCS#1 algorithms whose AlgorithmIdentifier carries an explicit NULL (RFC 4055 §5, RFC 8017 A.1/A.2.4). */
const PKCS1_NULL_PARAMS = new Set([
  "1.2.840.113549.1.1.1", // rsaEncryption
  "1.2.840.113549.1.1.5", // sha1WithRSAEncryption
  "1.2.840.113549.1.1.11", // sha256WithRSAEncryption
  "1.2.840.113549.1.1.12", // sha384WithRSAEncryption
  "1.2.840.113549.1.1.13", // sha512WithRSAEncryption
  "1.2.840.113549.1.1.14", // sha224WithRSAEncryption
]);
const ABSENT_PARAMS = new Set([
  // SHA-2 digests (RFC 5754 §2: parameters absent) and ECDSA signatures (RFC 5758 §3.2).
  "2.16.840.1.101.3.4.2.1",
  "2.16.840.1.101.3.4.2.2",
  "2.16.840.1.101.3.4.2.3",
  "2.16.840.1.101.3.4.2.4",
  "1.2.840.10045.4.3.2",
  "1.2.840.10045.4.3.3",
  "1.2.840.10045.4.3.4",
]);

/**
 * DER AlgorithmIdentifier for a signature, digest or RSA key-transport OID, parameters as the
 * RFCs require. Every certificate, CSR and CMS structure we write takes its identifiers here.
 */
export function algorithmIdentifierDer(oid: string): Uint8Array {
  if (PKCS1_NULL_PARAMS.has(oid)) return derTlv(0x30, oidDer(oid), NULL_PARAMS);
  if (ABSENT_PARAMS.has(oid)) return derTlv(0x30, oidDer(oid));
  throw new DerError(`no AlgorithmIdentifier rule for ${oid}`);
}

/** DER INTEGER from the hex form of a positive number (Certificate.serial): a 00 octet keeps it positive. */
export function derIntegerFromHex(hex: string): Uint8Array {
  let bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return derTlv(0x02, bytes);
}

/** DER INTEGER of a small non-negative number (versions, CRL numbers). */
export function derSmallInteger(n: number): Uint8Array {
  return derIntegerFromHex(n.toString(16));
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** GeneralizedTime YYYYMMDDHHMMSSZ (whole seconds, as RFC 5280 4.1.2.5.2 and RFC 6960 require). */
export function derGeneralizedTime(d: Date): Uint8Array {
  const s = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return derTlv(0x18, Buffer.from(s, "ascii"));
}

/** RFC 5280 Time: UTCTime through 2049, GeneralizedTime from 2050. */
export function derTime(d: Date): Uint8Array {
  if (d.getUTCFullYear() >= 2050) return derGeneralizedTime(d);
  const s = `${pad(d.getUTCFullYear() % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return derTlv(0x17, Buffer.from(s, "ascii"));
}

/** One X.509 Extension: SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
export function derExtension(oid: string, valueDer: Uint8Array, critical = false): Uint8Array {
  return derTlv(0x30, oidDer(oid), critical ? new Uint8Array([0x01, 0x01, 0xff]) : new Uint8Array(0), derTlv(0x04, valueDer));
}
