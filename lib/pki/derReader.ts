// A minimal DER reader for the hot paths (the Mdm-Signature on every check-in, SCEP
// requests): walks tag-length-value triples over the received bytes, no copies, no
// asn1js/pkijs objects (building and schema-matching those costs milliseconds per message).
// Definite lengths and one-byte tags only: anything else throws DerReadError, and callers
// fall back to the full asn1js/pkijs parser, which decides (and words the error) as before.

export class DerReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DerReadError";
  }
}

export interface Tlv {
  tag: number;
  /** Offsets into the buffer: the tag byte, the first content byte, one past the last. */
  start: number;
  contentStart: number;
  end: number;
}

export const TAG = { INTEGER: 0x02, OCTET_STRING: 0x04, OID: 0x06, SEQUENCE: 0x30, SET: 0x31, CTX0: 0xa0, CTX1: 0xa1, CTX3: 0xa3 } as const;

export function readTlv(buf: Uint8Array, pos: number, limit: number = buf.length): Tlv {
  if (pos + 2 > limit) throw new DerReadError("truncated");
  const tag = buf[pos];
  if ((tag & 0x1f) === 0x1f) throw new DerReadError("multi-byte tag");
  let len = buf[pos + 1];
  let contentStart = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerReadError("indefinite or oversized length");
    if (contentStart + n > limit) throw new DerReadError("truncated");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[contentStart + i];
    contentStart += n;
  }
  const end = contentStart + len;
  if (end > limit) throw new DerReadError("length beyond the enclosing element");
  return { tag, start: pos, contentStart, end };
}

/** The elements inside a constructed element. */
export function childrenOf(buf: Uint8Array, parent: Tlv): Tlv[] {
  if (!(parent.tag & 0x20)) throw new DerReadError("not a constructed element");
  const out: Tlv[] = [];
  for (let pos = parent.contentStart; pos < parent.end; ) {
    const t = readTlv(buf, pos, parent.end);
    out.push(t);
    pos = t.end;
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number): Tlv {
  if (!t || t.tag !== tag) throw new DerReadError(`expected tag 0x${tag.toString(16)}`);
  return t;
}

/** The whole element (tag, length, content), as a view. */
export function whole(buf: Uint8Array, t: Tlv): Uint8Array {
  return buf.subarray(t.start, t.end);
}

export function contentOf(buf: Uint8Array, t: Tlv): Uint8Array {
  return buf.subarray(t.contentStart, t.end);
}

/** Dotted form of an OBJECT IDENTIFIER element. */
export function oidOf(buf: Uint8Array, t: Tlv): string {
  expectTag(t, TAG.OID);
  const parts: number[] = [];
  let value = 0;
  for (let i = t.contentStart; i < t.end; i++) {
    const b = buf[i];
    if (value > 0x1ffffffffffff) throw new DerReadError("OID arc too large");
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    } else if (i === t.end - 1) {
      throw new DerReadError("truncated OID");
    }
  }
  if (parts.length === 0) throw new DerReadError("empty OID");
  return parts.join(".");
}

/** The algorithm OID of an AlgorithmIdentifier SEQUENCE. */
export function algorithmOid(buf: Uint8Array, t: Tlv): string {
  return oidOf(buf, expectTag(childrenOf(buf, expectTag(t, TAG.SEQUENCE))[0], TAG.OID));
}

export interface CertificateFields {
  /** The Name elements and the serial's content bytes, as encoded. */
  issuer: Uint8Array;
  subject: Uint8Array;
  serial: Uint8Array;
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
  /** SubjectKeyIdentifier extension value, if any. */
  subjectKeyId: Uint8Array | null;
}

/** The fields of an X.509 certificate (DER) that CMS signer lookup and verification need. */
export function certificateFields(buf: Uint8Array, cert: Tlv): CertificateFields {
  const tbs = expectTag(childrenOf(buf, expectTag(cert, TAG.SEQUENCE))[0], TAG.SEQUENCE);
  const f = childrenOf(buf, tbs);
  let i = f[0]?.tag === TAG.CTX0 ? 1 : 0;
  const serial = expectTag(f[i++], TAG.INTEGER);
  expectTag(f[i++], TAG.SEQUENCE); // signature algorithm
  const issuer = expectTag(f[i++], TAG.SEQUENCE);
  expectTag(f[i++], TAG.SEQUENCE); // validity
  const subject = expectTag(f[i++], TAG.SEQUENCE);
  const spki = expectTag(f[i++], TAG.SEQUENCE);
  let subjectKeyId: Uint8Array | null = null;
  const extsWrapper = f.slice(i).find((t) => t.tag === TAG.CTX3);
  if (extsWrapper) {
    const exts = expectTag(childrenOf(buf, extsWrapper)[0], TAG.SEQUENCE);
    for (const ext of childrenOf(buf, exts)) {
      const parts = childrenOf(buf, ext);
      if (oidOf(buf, parts[0]) !== "2.5.29.14") continue;
      const value = expectTag(parts[parts.length - 1], TAG.OCTET_STRING);
      const inner = expectTag(readTlv(buf, value.contentStart, value.end), TAG.OCTET_STRING);
      subjectKeyId = contentOf(buf, inner);
      break;
    }
  }
  return { issuer: whole(buf, issuer), subject: whole(buf, subject), serial: contentOf(buf, serial), spki: whole(buf, spki), subjectKeyId };
}

export interface CertificateExtension {
  oid: string;
  critical: boolean;
  /** The extnValue OCTET STRING's content, as encoded. */
  value: Uint8Array;
}

/** The extensions of an X.509 certificate (DER), in order; [] for a v1 certificate. */
export function certificateExtensions(der: Uint8Array): CertificateExtension[] {
  const cert = expectTag(readTlv(der, 0), TAG.SEQUENCE);
  if (cert.end !== der.length) throw new DerReadError("bytes after the certificate");
  const tbs = expectTag(childrenOf(der, cert)[0], TAG.SEQUENCE);
  const wrapper = childrenOf(der, tbs).find((t) => t.tag === TAG.CTX3);
  if (!wrapper) return [];
  const list = expectTag(childrenOf(der, wrapper)[0], TAG.SEQUENCE);
  return childrenOf(der, list).map((ext) => {
    const parts = childrenOf(der, expectTag(ext, TAG.SEQUENCE));
    if (parts.length < 2 || parts.length > 3) throw new DerReadError("extension with a wrong number of fields");
    let critical = false;
    if (parts.length === 3) {
      const flag = parts[1];
      if (flag.tag !== 0x01 || flag.end - flag.contentStart !== 1) throw new DerReadError("malformed critical flag");
      critical = der[flag.contentStart] !== 0;
    }
    return { oid: oidOf(der, parts[0]), critical, value: contentOf(der, expectTag(parts[parts.length - 1], TAG.OCTET_STRING)) };
  });
}
