// Property lists from devices are hostile input. The `plist` package parses OpenStep
// plists too, accepts `12abc` as an integer, invalid dates, and recurses without a depth
// bound; its XML parser (xmldom) only reports most malformations as warnings. So: XML with
// the DOCTYPE restricted to Apple's standard line (no internal subset, no ENTITY: XXE /
// billion laughs), xmldom in strict mode (every warning is an error), and our own bounded
// walker over the DOM; or binary (bplist00, devices may send either) through our own
// bounded reader (binary.ts) with the same limits. Output goes through `plist.build`.
import { DOMParser } from "@xmldom/xmldom";
import { build, type PlistValue as LibPlistValue } from "plist";
import { badRequest, payloadTooLarge } from "../errors";
import { isBinaryPlist, parseBinaryPlist } from "./binary";
import { PlistError, type PlistDict, type PlistValue } from "./types";

export { PlistError, type PlistDict, type PlistValue } from "./types";

const MAX_DEPTH = 48;
const MAX_NODES = 200_000;

/** Apple's DOCTYPE, the only one accepted (public id and system id may vary in whitespace). */
const APPLE_DOCTYPE = /^<!DOCTYPE\s+plist\s+PUBLIC\s+"-\/\/Apple(?: Computer)?\/\/DTD PLIST 1\.0\/\/EN"\s+"http:\/\/www\.apple\.com\/DTDs\/PropertyList-1\.0\.dtd"\s*>$/;

/** Rejects what must never reach an XML parser: other DOCTYPEs, internal subsets, ENTITY declarations. */
export function checkXmlPrologue(xml: string): void {
  if (/<!ENTITY/i.test(xml)) throw new PlistError("ENTITY declarations are not allowed");
  const doctypes = xml.match(/<!DOCTYPE[^>]*>?/gi) ?? [];
  if (doctypes.length > 1) throw new PlistError("more than one DOCTYPE");
  if (doctypes.length === 1) {
    const m = /<!DOCTYPE[\s\S]*?>/i.exec(xml);
    if (!m || m[0].includes("[") || !APPLE_DOCTYPE.test(m[0])) throw new PlistError("only Apple's standard plist DOCTYPE is allowed");
  }
  if (/<!(?!--|DOCTYPE|\[CDATA\[)/i.test(xml)) throw new PlistError("markup declarations are not allowed");
}

interface Counter {
  n: number;
}

function childElements(node: Element, counter: Counter): Element[] {
  const out: Element[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (++counter.n > MAX_NODES) throw new PlistError("too many nodes");
    if (c.nodeType === 1) out.push(c as Element);
    else if (c.nodeType === 3 || c.nodeType === 4) {
      if ((c.nodeValue ?? "").trim() !== "") throw new PlistError(`unexpected text inside <${node.nodeName}>`);
    } else if (c.nodeType !== 8) throw new PlistError(`unexpected node inside <${node.nodeName}>`);
  }
  return out;
}

function textOf(node: Element): string {
  let s = "";
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 3 || c.nodeType === 4) s += c.nodeValue ?? "";
    else if (c.nodeType !== 8) throw new PlistError(`<${node.nodeName}> may only contain text`);
  }
  return s;
}

function walk(node: Element, depth: number, counter: Counter): PlistValue {
  if (depth > MAX_DEPTH) throw new PlistError("nested too deeply");
  switch (node.nodeName) {
    case "dict": {
      const out: PlistDict = {};
      const kids = childElements(node, counter);
      if (kids.length % 2 !== 0) throw new PlistError("<dict> has a key without a value");
      for (let i = 0; i < kids.length; i += 2) {
        if (kids[i].nodeName !== "key") throw new PlistError(`expected <key> in <dict>, got <${kids[i].nodeName}>`);
        const key = textOf(kids[i]);
        if (key === "__proto__" || key === "constructor" || key === "prototype") throw new PlistError(`key "${key}" is not allowed`);
        if (Object.hasOwn(out, key)) throw new PlistError(`duplicate key "${key}"`);
        if (kids[i + 1].nodeName === "key") throw new PlistError("<key> followed by <key>");
        out[key] = walk(kids[i + 1], depth + 1, counter);
      }
      return out;
    }
    case "array":
      return childElements(node, counter).map((c) => walk(c, depth + 1, counter));
    case "string":
      return textOf(node);
    case "integer": {
      const t = textOf(node).trim();
      if (!/^[+-]?\d{1,19}$/.test(t) && !/^0x[0-9a-f]{1,16}$/i.test(t)) throw new PlistError(`invalid <integer> "${t.slice(0, 40)}"`);
      const n = Number(t);
      if (!Number.isSafeInteger(n)) throw new PlistError(`<integer> out of range "${t}"`);
      return n;
    }
    case "real": {
      const t = textOf(node).trim();
      const n = Number(t);
      if (t === "" || !Number.isFinite(n)) throw new PlistError(`invalid <real> "${t.slice(0, 40)}"`);
      return n;
    }
    case "true":
    case "false":
      if (childElements(node, counter).length || textOf(node).trim()) throw new PlistError(`<${node.nodeName}/> must be empty`);
      return node.nodeName === "true";
    case "date": {
      const t = textOf(node).trim();
      const d = new Date(t);
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(t) || Number.isNaN(d.getTime())) throw new PlistError(`invalid <date> "${t.slice(0, 40)}"`);
      return d;
    }
    case "data": {
      const t = textOf(node).replace(/\s+/g, "");
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 === 1) throw new PlistError("invalid base64 in <data>");
      return new Uint8Array(Buffer.from(t, "base64"));
    }
    default:
      throw new PlistError(`unknown plist element <${node.nodeName}>`);
  }
}

/** Parses an XML or (bytes only) binary property list from untrusted input. Throws PlistError. */
export function parsePlistStrict(input: Uint8Array | string, limit?: number): PlistValue {
  if (limit !== undefined && (typeof input === "string" ? Buffer.byteLength(input) : input.byteLength) > limit) {
    throw new PlistError(`body exceeds ${limit} bytes`);
  }
  if (typeof input !== "string" && isBinaryPlist(input)) return parseBinaryPlist(input, { maxDepth: MAX_DEPTH, maxNodes: MAX_NODES });
  let xml: string;
  try {
    xml = typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch {
    throw new PlistError("body is not UTF-8");
  }
  if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1);
  const head = xml.trimStart();
  if (!head.startsWith("<")) throw new PlistError("not an XML property list");
  checkXmlPrologue(xml);
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level: string, msg: string) => {
        throw new PlistError(`XML ${level}: ${String(msg).split("\n")[0]}`);
      },
    }).parseFromString(xml, "text/xml") as unknown as Document;
  } catch (err) {
    throw err instanceof PlistError ? err : new PlistError(`malformed XML: ${(err as Error).message.split("\n")[0]}`);
  }
  const root = doc.documentElement;
  if (root?.nodeName !== "plist") throw new PlistError("root element is not <plist>");
  const counter: Counter = { n: 0 };
  const kids = childElements(root, counter);
  if (kids.length !== 1) throw new PlistError("<plist> must contain exactly one value");
  return walk(kids[0], 0, counter);
}

/** Parses a plist that must be a dictionary; failures become AppError 400 (or 413). */
export function parsePlistDict(body: Uint8Array, limit: number): PlistDict {
  if (body.byteLength > limit) throw payloadTooLarge(limit);
  let value: PlistValue;
  try {
    value = parsePlistStrict(body);
  } catch (err) {
    throw badRequest("malformed_plist", err instanceof PlistError ? err.message : "malformed property list");
  }
  if (!isPlistDict(value)) throw badRequest("malformed_plist", "property list is not a dictionary");
  return value;
}

export function isPlistDict(v: unknown): v is PlistDict {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

/** Serialises to Apple's XML plist format (with the standard DOCTYPE). */
export function buildPlist(value: PlistValue): string {
  return build(value as LibPlistValue);
}

/** A plist value as JSON-safe data: <data> becomes base64, dates ISO strings. */
export function plistToJson(value: PlistValue): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plistToJson);
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plistToJson(v);
    return out;
  }
  return value;
}
