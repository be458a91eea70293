// X.500 subjects in the shape Apple's SCEP payload wants: an array of RDNs, each an array
// of [type, value] pairs, e.g. "CN=Dev,O=Acme" → [[["CN","Dev"]],[["O","Acme"]]].
// Apple knows the short names C, L, ST, O, OU and CN; other attributes go as dotted OIDs.

export type AppleSubject = string[][][];

const SHORT = new Set(["C", "L", "ST", "O", "OU", "CN"]);
const ALIASES: Record<string, string> = {
  E: "1.2.840.113549.1.9.1",
  EMAIL: "1.2.840.113549.1.9.1",
  EMAILADDRESS: "1.2.840.113549.1.9.1",
  UID: "0.9.2342.19200300.100.1.1",
  DC: "0.9.2342.19200300.100.1.25",
  SERIALNUMBER: "2.5.4.5",
  S: "ST",
};

export class SubjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SubjectError";
  }
}

function unescapeValue(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}

/** Parses "CN=a,O=b" (RFC 4514 order as written, "+" joins multi-valued RDNs, "\," escapes). */
export function parseSubject(dn: string): AppleSubject {
  const text = dn.trim();
  if (!text) throw new SubjectError("the subject is empty");
  // Escapes survive the splits; values are unescaped last.
  const rdns: AppleSubject = [];
  for (const rdnText of splitKeepingEscapes(text, ",")) {
    const pairs: string[][] = [];
    for (const atv of splitKeepingEscapes(rdnText, "+")) {
      const eq = atv.indexOf("=");
      if (eq <= 0) throw new SubjectError(`"${atv.trim()}" is not TYPE=value`);
      const rawType = atv.slice(0, eq).trim();
      const value = unescapeValue(atv.slice(eq + 1).trim());
      const upper = rawType.toUpperCase();
      const type = SHORT.has(upper) ? upper : ALIASES[upper] ?? (/^\d+(\.\d+)+$/.test(rawType) ? rawType : null);
      if (!type) throw new SubjectError(`unknown subject attribute "${rawType}" (use C, L, ST, O, OU, CN or a dotted OID)`);
      if (!value) throw new SubjectError(`subject attribute ${rawType} has no value`);
      pairs.push([type, value]);
    }
    rdns.push(pairs);
  }
  return rdns;
}

function splitKeepingEscapes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "\\" && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.filter((p) => p.trim() !== "");
}
