// Binary property lists (bplist00) from devices, read as hostile input. The format is a
// header, objects, an offset table and a 32-byte trailer; objects refer to each other by
// index, so a crafted file can point outside itself, at itself (cycles) or at one object
// many times (exponential expansion). Every offset, count and reference is checked against
// the file before use, references on the current path are refused, and the same depth and
// node budget as the XML reader bounds the expansion. UID (0x8) and set (0xC) objects do
// not occur in MDM messages and are refused.
import { PlistError, type PlistDict, type PlistValue } from "./types";

export const BPLIST_MAGIC = "bplist00";
const TRAILER = 32;
/** Seconds from the Unix epoch to Apple's reference date (2001-01-01T00:00:00Z). */
const APPLE_EPOCH = 978_307_200;

export function isBinaryPlist(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 8 && Buffer.from(bytes.buffer, bytes.byteOffset, 8).toString("latin1") === BPLIST_MAGIC;
}

interface Limits {
  maxDepth: number;
  maxNodes: number;
}

/** An unsigned big-endian integer of 1-8 bytes; beyond 2^53 is refused, not rounded. */
function readUInt(buf: Buffer, at: number, size: number, what: string): number {
  if (size < 1 || size > 8 || at < 0 || at + size > buf.length) throw new PlistError(`${what} lies outside the file`);
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(buf[at + i]);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new PlistError(`${what} is out of range`);
  return Number(v);
}

export function parseBinaryPlist(bytes: Uint8Array, limits: Limits): PlistValue {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isBinaryPlist(bytes)) throw new PlistError("not a bplist00 property list");
  if (buf.length < 8 + 1 + TRAILER) throw new PlistError("binary plist is truncated");
  const t = buf.length - TRAILER;
  const offsetSize = buf[t + 6];
  const refSize = buf[t + 7];
  const numObjects = readUInt(buf, t + 8, 8, "object count");
  const topObject = readUInt(buf, t + 16, 8, "top object");
  const tableAt = readUInt(buf, t + 24, 8, "offset table");
  if (offsetSize < 1 || offsetSize > 8) throw new PlistError(`invalid offset size ${offsetSize}`);
  if (refSize < 1 || refSize > 8) throw new PlistError(`invalid object reference size ${refSize}`);
  if (numObjects < 1) throw new PlistError("binary plist has no objects");
  // Each object takes at least one byte between the header and the table.
  if (tableAt < 9 || tableAt > t || numObjects > tableAt - 8 || numObjects * offsetSize > t - tableAt) throw new PlistError("offset table lies outside the file");
  if (topObject >= numObjects) throw new PlistError("top object is not in the offset table");

  const offsetOf = (ref: number): number => {
    if (ref >= numObjects) throw new PlistError(`object reference ${ref} is out of range`);
    const at = readUInt(buf, tableAt + ref * offsetSize, offsetSize, "object offset");
    if (at < 8 || at >= tableAt) throw new PlistError(`object ${ref} lies outside the object area`);
    return at;
  };
  /** Bytes from `at` up to the offset table: what any object's content may span. */
  const room = (at: number) => tableAt - at;

  let nodes = 0;
  const onPath = new Set<number>();

  /** The object's length: the marker's low nibble, or an integer object after it when 0xF. */
  function lengthOf(at: number): { length: number; start: number } {
    const low = buf[at] & 0x0f;
    if (low !== 0x0f) return { length: low, start: at + 1 };
    const marker = buf[at + 1];
    if (at + 1 >= tableAt || (marker & 0xf0) !== 0x10) throw new PlistError("object length is not an integer");
    const size = 1 << (marker & 0x0f);
    if (size > 8) throw new PlistError("object length is out of range");
    return { length: readUInt(buf, at + 2, size, "object length"), start: at + 2 + size };
  }

  function span(start: number, bytes: number, what: string): void {
    if (bytes > room(start)) throw new PlistError(`${what} runs past the object area`);
  }

  function refAt(at: number): number {
    return readUInt(buf, at, refSize, "object reference");
  }

  function read(ref: number, depth: number): PlistValue {
    if (depth > limits.maxDepth) throw new PlistError("nested too deeply");
    if (++nodes > limits.maxNodes) throw new PlistError("too many nodes");
    if (onPath.has(ref)) throw new PlistError(`object ${ref} contains itself`);
    const at = offsetOf(ref);
    const marker = buf[at];
    const type = marker >> 4;
    switch (type) {
      case 0x0:
        if (marker === 0x08) return false;
        if (marker === 0x09) return true;
        throw new PlistError(marker === 0x00 ? "null objects are not allowed" : `unknown object marker 0x${marker.toString(16)}`);
      case 0x1: {
        const size = 1 << (marker & 0x0f);
        span(at + 1, size, "integer");
        if (size <= 4) return readUInt(buf, at + 1, size, "integer");
        if (size === 8) {
          const v = buf.readBigInt64BE(at + 1);
          if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new PlistError(`integer out of range "${v}"`);
          return Number(v);
        }
        throw new PlistError("integer out of range");
      }
      case 0x2: {
        const size = 1 << (marker & 0x0f);
        span(at + 1, size, "real");
        const v = size === 4 ? buf.readFloatBE(at + 1) : size === 8 ? buf.readDoubleBE(at + 1) : NaN;
        if (!Number.isFinite(v)) throw new PlistError("invalid real");
        return v;
      }
      case 0x3: {
        if (marker !== 0x33) throw new PlistError(`unknown object marker 0x${marker.toString(16)}`);
        span(at + 1, 8, "date");
        const d = new Date((buf.readDoubleBE(at + 1) + APPLE_EPOCH) * 1000);
        if (Number.isNaN(d.getTime())) throw new PlistError("invalid date");
        return d;
      }
      case 0x4: {
        const { length, start } = lengthOf(at);
        span(start, length, "data");
        return new Uint8Array(buf.subarray(start, start + length));
      }
      case 0x5: {
        const { length, start } = lengthOf(at);
        span(start, length, "string");
        const s = buf.subarray(start, start + length);
        if (s.some((b) => b > 0x7f)) throw new PlistError("ASCII string contains non-ASCII bytes");
        return s.toString("latin1");
      }
      case 0x6: {
        const { length, start } = lengthOf(at);
        span(start, length * 2, "string");
        const swapped = Buffer.from(buf.subarray(start, start + length * 2)).swap16();
        try {
          return new TextDecoder("utf-16le", { fatal: true }).decode(swapped);
        } catch {
          throw new PlistError("invalid UTF-16 string");
        }
      }
      case 0xa:
      case 0xd: {
        const { length, start } = lengthOf(at);
        const refs = type === 0xd ? length * 2 : length;
        span(start, refs * refSize, type === 0xd ? "dictionary" : "array");
        onPath.add(ref);
        try {
          if (type === 0xa) {
            const out: PlistValue[] = [];
            for (let i = 0; i < length; i++) out.push(read(refAt(start + i * refSize), depth + 1));
            return out;
          }
          const out: PlistDict = {};
          for (let i = 0; i < length; i++) {
            const key = read(refAt(start + i * refSize), depth + 1);
            if (typeof key !== "string") throw new PlistError("dictionary key is not a string");
            if (key === "__proto__" || key === "constructor" || key === "prototype") throw new PlistError(`key "${key}" is not allowed`);
            if (Object.hasOwn(out, key)) throw new PlistError(`duplicate key "${key}"`);
            out[key] = read(refAt(start + (length + i) * refSize), depth + 1);
          }
          return out;
        } finally {
          onPath.delete(ref);
        }
      }
      default:
        throw new PlistError(type === 0x8 ? "UID objects are not allowed" : type === 0xc ? "set objects are not allowed" : `unknown object marker 0x${marker.toString(16)}`);
    }
  }

  return read(topObject, 0);
}
