// fast-check arbitraries that turn real inputs into hostile ones: byte-level mutations of
// any body, and structure-aware ones for the formats the endpoints parse (DER/CMS, plists,
// JWTs, form and query strings, header values). Every arbitrary is deterministic in the
// run's seed, so a failing input comes back with FUZZ_SEED.
import fc from "fast-check";
import { buildPlist, isPlistDict, type PlistDict, type PlistValue, parsePlistStrict } from "@/lib/plist/plist";

const enc = new TextEncoder();

/** Percent-encodes a string's UTF-8 bytes (encodeURIComponent throws on a lone surrogate). */
export function pct(s: string): string {
  return Buffer.from(s, "utf8")
    .toString("latin1")
    .replace(/[^A-Za-z0-9\-_.~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff, 0x30, 0x06, 0x04, 0x02, 0x3c, 0x3e, 0x25, 0x26];

/** Text that parsers trip on: escapes, broken UTF-8 as %XX, markup, huge numbers, controls. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.fullUnicodeString({ maxLength: 20 }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "%",
      "%%",
      "%zz",
      "%E0%A4%A",
      "%FF%FE",
      "%00",
      "\u0000",
      "\uFFFD",
      "\uD800",
      "../../etc/passwd",
      "<script>alert(1)</script>",
      "' OR 1=1 --",
      "$" + "{jndi:ldap://x}",
      "-1",
      "0",
      "1e309",
      "NaN",
      "9007199254740993",
      "true",
      "null",
      "[]",
      "{}",
      "a@b",
      "@",
      "user@",
      "@example.com",
      "x".repeat(3000),
      "é".repeat(500),
      "mdm-adde",
      "mdm-byod",
      "Mac",
      "iPhone",
      "apple-remotemanagement-user-login:/oauth2/redirection",
      "javascript:alert(1)",
      "//evil.example",
      "http://[::1",
    ),
  },
);

/** A short string in a header value's alphabet (no CR, LF or NUL: clients cannot send those). */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.stringOf(
    fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
    { maxLength: 60 },
  ),
  fc.constantFrom("", " ", "\t", "x".repeat(8000), "%%", "=?utf-8?b?AAAA?=", "Bearer", "Basic", "Basic =", "Bearer \t", "*/*", "0", "-1", "99999999999999999999"),
);

function clamp(n: number, max: number): number {
  return max <= 0 ? 0 : Math.abs(n) % max;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

type ByteOp = (b: Uint8Array) => Uint8Array;

/** One byte-level edit: flips, overwrites, truncation, insertion, deletion, duplication. */
const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(
    ([pos, bit]): ByteOp =>
      (b) => {
        if (!b.byteLength) return b;
        const c = b.slice();
        c[clamp(pos, c.byteLength)] ^= 1 << bit;
        return c;
      },
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...INTERESTING_BYTES)).map(
    ([pos, v]): ByteOp =>
      (b) => {
        if (!b.byteLength) return b;
        const c = b.slice();
        c[clamp(pos, c.byteLength)] = v;
        return c;
      },
  ),
  fc.nat().map(
    (pos): ByteOp =>
      (b) =>
        b.slice(0, clamp(pos, b.byteLength + 1)),
  ),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(
    ([pos, ins]): ByteOp =>
      (b) => {
        const at = clamp(pos, b.byteLength + 1);
        return concat(b.subarray(0, at), ins, b.subarray(at));
      },
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 64 })).map(
    ([pos, len]): ByteOp =>
      (b) => {
        const at = clamp(pos, b.byteLength + 1);
        return concat(b.subarray(0, at), b.subarray(at + len));
      },
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 64 }), fc.nat()).map(
    ([from, len, to]): ByteOp =>
      (b) => {
        const s = clamp(from, b.byteLength + 1);
        const chunk = b.subarray(s, s + len);
        const at = clamp(to, b.byteLength + 1);
        return concat(b.subarray(0, at), chunk, b.subarray(at));
      },
  ),
);

/** 1–6 byte edits of a seed. */
export function mutateBytes(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.array(byteOp, { minLength: 1, maxLength: 6 }).map((ops) => ops.reduce((b, op) => op(b), seed));
}

/** Random bytes, empty, or a body just over a route's size limit. */
export function garbageBytes(limit: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.uint8Array({ maxLength: 256 }) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 0, max: 255 }).map((v) => new Uint8Array(limit + 1).fill(v)),
    },
  );
}

// ---- DER / CMS ------------------------------------------------------------------------

interface Tlv {
  offset: number;
  header: number;
  length: number;
  constructed: boolean;
}

/** The TLV nodes of a DER blob (best effort: stops where the encoding stops making sense). */
export function derNodes(der: Uint8Array, max = 4000): Tlv[] {
  const out: Tlv[] = [];
  const walk = (start: number, end: number, depth: number) => {
    let p = start;
    while (p < end && out.length < max && depth < 64) {
      const tag = der[p];
      let q = p + 1;
      if ((tag & 0x1f) === 0x1f) while (q < end && der[q] & 0x80) q++;
      q++;
      if (q >= end) return;
      let len = der[q++];
      if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4 || q + n > end) return;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + der[q + i];
        q += n;
      }
      if (q + len > end) return;
      const node: Tlv = {
        offset: p,
        header: q - p,
        length: len,
        constructed: Boolean(tag & 0x20),
      };
      out.push(node);
      if (node.constructed) walk(q, q + len, depth + 1);
      else if (tag === 0x04 && len > 2 && der[q] === 0x30) walk(q, q + len, depth + 1); // OCTET STRING wrapping DER
      p = q + len;
    }
  };
  walk(0, der.byteLength, 0);
  return out;
}

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

type DerOp = (der: Uint8Array, nodes: Tlv[]) => Uint8Array;

const pick = (nodes: Tlv[], i: number) => nodes[clamp(i, nodes.length)];

/** Edits of one TLV node: its tag, its length (off by one, indefinite, huge), its content. */
const derOp: fc.Arbitrary<DerOp> = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom(0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x17, 0x30, 0x31, 0xa0, 0xa1, 0x80, 0x00, 0xff, 0x1f)).map(
    ([i, tag]): DerOp =>
      (der, nodes) => {
        const n = pick(nodes, i);
        const c = der.slice();
        c[n.offset] = tag;
        return c;
      },
  ),
  fc.tuple(fc.nat(), fc.constantFrom(-2, -1, 1, 2, 0x7f, 0x10000, 0x7fffffff)).map(
    ([i, delta]): DerOp =>
      (der, nodes) => {
        const n = pick(nodes, i);
        const headerStart = n.offset + 1;
        const newLen = Math.max(0, delta > 2 ? delta : n.length + delta);
        return concat(der.subarray(0, headerStart), encodeLength(newLen), der.subarray(n.offset + n.header));
      },
  ),
  fc.nat().map(
    (i): DerOp =>
      (der, nodes) => {
        // Indefinite length (BER, forbidden in DER) on a node.
        const n = pick(nodes, i);
        return concat(
          der.subarray(0, n.offset + 1),
          Uint8Array.of(0x80),
          der.subarray(n.offset + n.header, n.offset + n.header + n.length),
          Uint8Array.of(0, 0),
          der.subarray(n.offset + n.header + n.length),
        );
      },
  ),
  fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 40 })).map(
    ([i, content]): DerOp =>
      (der, nodes) => {
        // Replace a node's content, fixing its own length (parents then disagree).
        const n = pick(nodes, i);
        return concat(der.subarray(0, n.offset + 1), encodeLength(content.byteLength), content, der.subarray(n.offset + n.header + n.length));
      },
  ),
  fc.nat().map(
    (i): DerOp =>
      (der, nodes) => {
        // Drop a node.
        const n = pick(nodes, i);
        return concat(der.subarray(0, n.offset), der.subarray(n.offset + n.header + n.length));
      },
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 2, max: 40 })).map(
    ([i, times]): DerOp =>
      (der, nodes) => {
        // Repeat a node (duplicate attributes, certificates, recipients).
        const n = pick(nodes, i);
        const node = der.subarray(n.offset, n.offset + n.header + n.length);
        return concat(der.subarray(0, n.offset), ...Array.from({ length: times }, () => node), der.subarray(n.offset + n.header + n.length));
      },
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 100, max: 3000 })).map(
    ([i, depth]): DerOp =>
      (der, nodes) => {
        // Deep nesting inside a node (stack depth of recursive parsers).
        const n = pick(nodes, i);
        let inner: Uint8Array = Uint8Array.of(0x05, 0x00);
        for (let d = 0; d < depth; d++) inner = concat(Uint8Array.of(0x30), encodeLength(inner.byteLength), inner);
        return concat(der.subarray(0, n.offset), inner, der.subarray(n.offset + n.header + n.length));
      },
  ),
);

/** 1–3 structure-aware edits of a DER seed (CMS SignedData, PKCS#10, OCSP request). */
export function mutateDer(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  const nodes = derNodes(seed);
  if (!nodes.length) return mutateBytes(seed);
  return fc.array(derOp, { minLength: 1, maxLength: 3 }).map((ops) => {
    let der = seed;
    let current = nodes;
    for (const op of ops) {
      der = op(der, current);
      current = derNodes(der);
      if (!current.length) break;
    }
    return der;
  });
}

/** A DER seed mutated either way, or left whole (so the valid path is exercised too). */
export function derInput(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(seed) },
    { weight: 5, arbitrary: mutateDer(seed) },
    { weight: 3, arbitrary: mutateBytes(seed) },
    { weight: 1, arbitrary: garbageBytes(64 * 1024) },
  );
}

// ---- plists ---------------------------------------------------------------------------

const plistValue: fc.Arbitrary<PlistValue> = fc.letrec<{ v: PlistValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    nastyString,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.uint8Array({ maxLength: 64 }),
    fc.date({
      min: new Date(0),
      max: new Date(4102444800000),
      noInvalidDate: true,
    }),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie("v"), { maxKeys: 4 }),
  ),
})).v;

type DictOp = (d: PlistDict) => PlistDict;

/** Edits of a dictionary: drop, retype or add keys (the keys a handler reads are the seed's). */
function dictOp(keys: string[]): fc.Arbitrary<DictOp> {
  const key = keys.length ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }) : fc.string({ maxLength: 20 });
  return fc.oneof(
    key.map(
      (k): DictOp =>
        (d) => {
          const c = { ...d };
          delete c[k];
          return c;
        },
    ),
    fc.tuple(key, plistValue).map(
      ([k, v]): DictOp =>
        (d) => ({ ...d, [k]: v }),
    ),
    fc.tuple(key, nastyString).map(
      ([k, v]): DictOp =>
        (d) => ({ ...d, [k]: v }),
    ),
  );
}

/** XML 1.0's Char production. */
function xmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
}

/** Characters XML 1.0 cannot carry are replaced (the text attacks below send those raw). */
function xmlSafe(v: PlistValue): PlistValue {
  if (typeof v === "string") return Array.from(v, (c) => (xmlChar(c.codePointAt(0) ?? 0) ? c : "?")).join("");
  if (Array.isArray(v)) return v.map(xmlSafe);
  if (isPlistDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [xmlSafe(k) as string, xmlSafe(x)]));
  return v;
}

/** A plist that is the seed dictionary with 1–4 edits, as XML. */
function mutatedPlistDict(seed: PlistDict): fc.Arbitrary<Uint8Array> {
  return fc.array(dictOp(Object.keys(seed)), { minLength: 1, maxLength: 4 }).map((ops) => enc.encode(buildPlist(xmlSafe(ops.reduce((d, op) => op(d), seed)) as PlistDict)));
}

/** Textual attacks on an XML plist: entities, DOCTYPE, deep nesting, broken markup, encodings. */
function xmlTextAttack(seedXml: string): fc.Arbitrary<Uint8Array> {
  const body = seedXml.replace(/^[\s\S]*?<plist[^>]*>/, "").replace(/<\/plist>\s*$/, "");
  return fc
    .oneof(
      fc.constant(
        `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><plist version="1.0">${body.replace("<string>", "<string>&c;")}</plist>`,
      ),
      fc.constant(`<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY x SYSTEM "file:///etc/passwd">]><plist version="1.0">${body.replace("<string>", "<string>&x;")}</plist>`),
      fc.integer({ min: 50, max: 20000 }).map((n) => `<?xml version="1.0"?><plist version="1.0">${"<array>".repeat(n)}${"</array>".repeat(n)}</plist>`),
      fc.integer({ min: 50, max: 5000 }).map((n) => `<?xml version="1.0"?><plist version="1.0"><dict>${"<key>k</key><dict>".repeat(n)}${"</dict>".repeat(n)}</dict></plist>`),
      fc.nat().map((cut) => seedXml.slice(0, clamp(cut, seedXml.length))),
      fc.constant(seedXml.replace(/<\/dict>/, "<key>dup</key>")),
      fc.constant(seedXml.replace(/<key>(\w+)<\/key>/, "<key>$1</key><string>x</string><key>$1</key>")),
      fc.constant(seedXml.replace("UTF-8", "UTF-16")),
      fc.constant(seedXml.replace(/<integer>[^<]*<\/integer>/g, "<integer>99999999999999999999999999</integer>")),
      fc.constant(seedXml.replace(/<data>[^<]*<\/data>/g, "<data>!!notbase64</data>")),
      fc.constant(seedXml.replace(/<date>[^<]*<\/date>/g, "<date>2024-13-45T99:99:99Z</date>")),
      fc.constant(`\uFEFF${seedXml}`),
      fc.constant(`<plist>${"<string>x</string>".repeat(3)}</plist>`),
      fc.constant('<?xml version="1.0"?><!-- only a comment -->'),
      fc.constant("bplist00"),
      fc.constant(seedXml.replace("<string>", "<string>\u0001\u001b")),
    )
    .map((s) => enc.encode(s));
}

/** Plist bodies derived from a real message: structure edits, text attacks, byte edits. */
export function plistInput(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  let dict: PlistDict | null = null;
  try {
    const v = parsePlistStrict(seed);
    if (isPlistDict(v)) dict = v;
  } catch {
    dict = null;
  }
  const xml = new TextDecoder().decode(seed);
  const arbs: fc.WeightedArbitrary<Uint8Array>[] = [
    { weight: 1, arbitrary: fc.constant(seed) },
    { weight: 3, arbitrary: mutateBytes(seed) },
    { weight: 2, arbitrary: xmlTextAttack(xml) },
    { weight: 1, arbitrary: garbageBytes(256 * 1024) },
  ];
  if (dict) arbs.push({ weight: 5, arbitrary: mutatedPlistDict(dict) });
  return fc.oneof(...arbs);
}

// ---- JWT / JWS --------------------------------------------------------------------------

const b64u = (s: string | Uint8Array) => Buffer.from(s).toString("base64url");

function jsonPart(s: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const claimValue = fc.oneof(nastyString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), fc.constant({}));

/** JWT edits: header (alg none/HS256/unknown kid/crit), claims (retyped, expired), signature (dropped, swapped). */
export function jwtInput(seed: string): fc.Arbitrary<string> {
  const [h, p, s] = seed.split(".");
  const header = jsonPart(h ?? "") ?? {};
  const payload = jsonPart(p ?? "") ?? {};
  const headerKeys = [...Object.keys(header), "alg", "kid", "typ", "crit", "jku", "x5u", "b64"];
  const claimKeys = [...Object.keys(payload), "exp", "nbf", "iat", "jti", "sub", "aud", "iss"];
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(seed) },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.constantFrom(...headerKeys), claimValue).map(([k, v]) => `${b64u(JSON.stringify({ ...header, [k]: v }))}.${p}.${s}`),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom("none", "HS256", "RS256", "ES512", "EdDSA", "").map((alg) => `${b64u(JSON.stringify({ ...header, alg }))}.${p}.${alg === "none" ? "" : s}`),
    },
    {
      weight: 4,
      arbitrary: fc.tuple(fc.constantFrom(...claimKeys), claimValue).map(([k, v]) => `${h}.${b64u(JSON.stringify({ ...payload, [k]: v }))}.${s}`),
    },
    {
      weight: 1,
      arbitrary: fc.constant(`${h}.${b64u(JSON.stringify({ ...payload, exp: 1 }))}.${s}`),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(`${h}.${p}.`, `${h}.${p}`, `${h}..${s}`, `.${p}.${s}`, `${h}.${p}.${s}.${s}`, `${h}.${p}.${s}=`, `${h}.${p}.${(s ?? "").slice(1)}`),
    },
    {
      weight: 2,
      arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((sig) => `${h}.${p}.${b64u(sig)}`),
    },
    {
      weight: 2,
      arbitrary: mutateBytes(enc.encode(seed)).map((b) => Buffer.from(b).toString("latin1")),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(jsonStringArb, jsonStringArb).map(([a, b]) => `${b64u(a)}.${b64u(b)}.${s}`),
    },
  );
}

const jsonStringArb = fc.oneof(fc.json({ maxDepth: 3 }), fc.constantFrom("", "[]", "null", '"x"', "{", '{"alg":"RS256"', "1e999"));

// ---- forms, queries, headers -----------------------------------------------------------

/** A query or form string from named seed values: values edited, keys dropped, repeated or added. */
export function paramsInput(seed: Record<string, string>): fc.Arbitrary<string> {
  const keys = Object.keys(seed);
  const value = (k: string) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(seed[k]) },
      { weight: 2, arbitrary: nastyString },
      {
        weight: 1,
        arbitrary: mutateBytes(enc.encode(seed[k])).map((b) => Buffer.from(b).toString("latin1")),
      },
    );
  const entry = (k: string) => fc.tuple(fc.constant(k), value(k), fc.constantFrom("keep", "keep", "keep", "keep", "drop", "twice", "raw"));
  return fc
    .tuple(
      fc.tuple(...keys.map(entry)),
      fc.array(fc.tuple(fc.string({ maxLength: 10 }), nastyString), {
        maxLength: 2,
      }),
    )
    .map(([entries, extra]) => {
      const parts: string[] = [];
      for (const [k, v, how] of entries) {
        if (how === "drop") continue;
        // "raw": the value unencoded, as a careless or hostile client sends it.
        const pair = how === "raw" ? `${k}=${v}` : `${pct(k)}=${pct(v)}`;
        parts.push(pair);
        if (how === "twice") parts.push(pair);
      }
      for (const [k, v] of extra) parts.push(`${pct(k)}=${pct(v)}`);
      return parts.join("&");
    });
}

/** Content types: the right one, near misses, other formats, junk. */
export function contentType(right: string | null): fc.Arbitrary<string | null> {
  const others = [
    "application/json",
    "application/x-www-form-urlencoded",
    "application/x-pki-message",
    "application/pkcs7-mime",
    "application/ocsp-request",
    "application/x-apple-aspen-mdm-checkin",
    "application/x-apple-aspen-mdm",
    "text/plain; charset=utf-16",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "application/xml",
    ";;;",
    'a/b; charset="',
  ];
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(right) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.constantFrom(...others) },
    { weight: 1, arbitrary: headerValue },
    {
      weight: 1,
      arbitrary: fc.constant(right ? `${right.toUpperCase()}; charset=ebcdic; x="` : "x/y"),
    },
  );
}

/** Odd extra headers on any request: languages, encodings, forwarding, lengths, cookies. */
export const oddHeaders: fc.Arbitrary<Record<string, string>> = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        "accept-language",
        "accept-encoding",
        "user-agent",
        "accept",
        "x-forwarded-for",
        "x-real-ip",
        "cookie",
        "content-length",
        "authorization",
        "mdm-signature",
        "x-apple-aspen-deviceid",
        "host",
        "if-none-match",
        "range",
        "origin",
        "referer",
      ),
      headerValue,
    ),
    { maxLength: 3 },
  )
  .map((pairs) => Object.fromEntries(pairs));

/** Where the request comes from (scripts/serve.mjs's peer header); a pool so per-address limits sometimes trip. */
export const peerAddress: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 0, max: 15 })).map(([a, b]) => `10.${b}.0.${a}`),
  fc.constantFrom("::1", "127.0.0.1", "", "fe80::1%eth0", "not-an-ip"),
);
