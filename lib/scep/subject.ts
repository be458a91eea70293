// The issued certificate's subject: the SCEP profile's template, expanded. The template
// decides which attributes the certificate has; the request only supplies values.
//
// Rule for each variable ($UDID, $SERIALNUMBER, $EMAIL, $COMPUTERNAME, $USERNAME,
// $PROFILE_IDENTIFIER), first that applies:
//  1. the enrollment context the server knows (the challenge's user: $EMAIL, $USERNAME;
//     $PROFILE_IDENTIFIER when the caller knows the configuration profile);
//  2. the CSR: each template attribute (e.g. "CN=$COMPUTERNAME ma $UDID") is matched as a
//     pattern against the CSR's attribute of the same type, and the variables take the
//     matched text. Devices send the subject the profile carried, which the profile builder
//     filled with what it knew, so a well-formed request always matches;
//  3. a CSR attribute that names the value directly (SERIALNUMBER=, E= / emailAddress=).
// A variable still unknown fails the request (badRequest). Each expanded attribute value
// must fit its X.520 upper bound (RFC 5280 Appendix A: CN, O, OU 64, L and ST 128, …), the
// 64-character limit Jamf documents for the subject; "CN=" and the other attributes do not
// count. A value that grows by the $PROFILE_IDENTIFIER a redistribution adds is checked the same way.
import { formatName, parseNameString, type NamePart, NameError } from "../pki/names";

export const SUBJECT_VARIABLES = ["UDID", "SERIALNUMBER", "EMAIL", "COMPUTERNAME", "USERNAME", "PROFILE_IDENTIFIER"] as const;
export type SubjectVariable = (typeof SUBJECT_VARIABLES)[number];
export type SubjectContext = Partial<Record<SubjectVariable, string | null | undefined>>;

/**
 * Upper bounds in characters per attribute (RFC 5280 Appendix A: ub-common-name,
 * ub-organization-name, ub-organizational-unit-name, ub-locality-name, ub-state-name,
 * ub-title, ub-serial-number, ub-emailaddress-length; C is the two-letter country code).
 * DC is a DNS label (RFC 1035: 63); UID and dotted OIDs have no X.520 bound and get 256.
 */
export const ATTRIBUTE_UPPER_BOUNDS: Record<string, number> = {
  CN: 64,
  O: 64,
  OU: 64,
  TITLE: 64,
  SERIALNUMBER: 64,
  L: 128,
  ST: 128,
  STREET: 128,
  C: 2,
  E: 255,
  DC: 63,
};
const OTHER_ATTRIBUTE_BOUND = 256;

export function upperBound(type: string): number {
  return ATTRIBUTE_UPPER_BOUNDS[type] ?? OTHER_ATTRIBUTE_BOUND;
}

/** Characters as X.520 counts them (code points, not UTF-16 units). */
const charCount = (value: string): number => [...value].length;

/** The first attribute value over its bound, as a sentence, or null. */
function overBound(parts: NamePart[]): string | null {
  for (const p of parts) {
    const n = charCount(p.value);
    if (n > upperBound(p.type)) return `${p.type} "${p.value}" has ${n} characters; the limit for ${p.type} is ${upperBound(p.type)}`;
  }
  return null;
}

const VAR_RE = /\$([A-Z_]+)/g;

export type SubjectResult = { ok: true; subject: string; parts: NamePart[] } | { ok: false; reason: "scep_subject_too_long" | "scep_subject_unresolved"; detail: string };

function isVariable(name: string): name is SubjectVariable {
  return (SUBJECT_VARIABLES as readonly string[]).includes(name);
}

/** Names admins type from other products' documentation, and the variable each one means. */
const VARIABLE_ALIASES: Record<string, SubjectVariable> = {
  SERIAL: "SERIALNUMBER",
  SERIAL_NUMBER: "SERIALNUMBER",
  DEVICE_SERIAL: "SERIALNUMBER",
  DEVICEID: "UDID",
  DEVICE_ID: "UDID",
  DEVICENAME: "COMPUTERNAME",
  DEVICE_NAME: "COMPUTERNAME",
  COMPUTER_NAME: "COMPUTERNAME",
  USER: "USERNAME",
  USER_NAME: "USERNAME",
  MAIL: "EMAIL",
  EMAILADDRESS: "EMAIL",
};

/** A sentence describing what is wrong with a template, or null when it is usable. */
export function templateProblem(template: string): string | null {
  for (const m of template.matchAll(VAR_RE)) {
    if (isVariable(m[1])) continue;
    const meant = VARIABLE_ALIASES[m[1]];
    if (meant) return `$${m[1]} is not a variable here; use $${meant} (for example ${template.replace(`$${m[1]}`, `$${meant}`)})`;
    return `unknown variable $${m[1]} (use ${SUBJECT_VARIABLES.map((v) => `$${v}`).join(", ")})`;
  }
  let parts: NamePart[];
  try {
    parts = parseNameString(template);
  } catch (err) {
    return err instanceof NameError ? err.message : "not a subject such as CN=$UDID,O=Example";
  }
  // The fixed text of each attribute (variables removed) must already fit: expansion only adds.
  for (const p of parts) {
    const fixed = charCount(p.value.replace(VAR_RE, (whole, name: string) => (isVariable(name) ? "" : whole)));
    if (fixed > upperBound(p.type)) {
      return `the fixed text of ${p.type} has ${fixed} characters before any variable is filled in; the limit for ${p.type} is ${upperBound(p.type)} (X.520)`;
    }
  }
  return null;
}

function variablesIn(value: string): SubjectVariable[] {
  return [...value.matchAll(VAR_RE)].map((m) => m[1]).filter(isVariable);
}

function patternFor(value: string): { re: RegExp; vars: SubjectVariable[] } {
  const vars: SubjectVariable[] = [];
  let source = "";
  let last = 0;
  for (const m of value.matchAll(VAR_RE)) {
    source += value.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    if (isVariable(m[1])) {
      vars.push(m[1]);
      source += "(.+?)";
    } else {
      source += m[0].replace(/[$]/g, "\\$");
    }
    last = (m.index ?? 0) + m[0].length;
  }
  source += value.slice(last).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return { re: new RegExp(`^${source}$`, "s"), vars };
}

export function expandSubject(template: string, csrParts: NamePart[], context: SubjectContext = {}): SubjectResult {
  const templateParts = parseNameString(template);
  const bound = new Map<SubjectVariable, string>();
  for (const v of SUBJECT_VARIABLES) {
    const value = context[v];
    if (value) bound.set(v, value);
  }
  const used = new Set<number>();
  for (const tp of templateParts) {
    if (variablesIn(tp.value).length === 0) continue;
    const index = csrParts.findIndex((cp, i) => !used.has(i) && cp.type === tp.type);
    if (index < 0) continue;
    used.add(index);
    const { re, vars } = patternFor(tp.value);
    const m = re.exec(csrParts[index].value);
    if (!m) continue;
    vars.forEach((v, i) => {
      const captured = m[i + 1];
      if (!bound.has(v) && captured && !captured.includes("$")) bound.set(v, captured);
    });
  }
  const direct: Partial<Record<SubjectVariable, string>> = { SERIALNUMBER: "SERIALNUMBER", EMAIL: "E" };
  for (const [v, type] of Object.entries(direct) as [SubjectVariable, string][]) {
    if (bound.has(v)) continue;
    const hit = csrParts.find((cp) => cp.type === type);
    if (hit?.value) bound.set(v, hit.value);
  }
  const missing = new Set<string>();
  const parts = templateParts.map((tp) => ({
    type: tp.type,
    value: tp.value.replace(VAR_RE, (whole, name: string) => {
      if (!isVariable(name)) return whole;
      const value = bound.get(name);
      if (value === undefined) missing.add(`$${name}`);
      return value ?? "";
    }),
  }));
  if (missing.size) {
    return { ok: false, reason: "scep_subject_unresolved", detail: `the subject template needs ${[...missing].join(", ")}, which neither the enrollment nor the request supplies` };
  }
  const empty = parts.find((p) => !p.value.trim());
  if (empty) return { ok: false, reason: "scep_subject_unresolved", detail: `the subject attribute ${empty.type} would be empty` };
  const tooLong = overBound(parts);
  if (tooLong) return { ok: false, reason: "scep_subject_too_long", detail: `the expanded subject attribute ${tooLong}` };
  return { ok: true, subject: formatName(parts), parts };
}
