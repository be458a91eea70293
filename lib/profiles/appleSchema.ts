// Validation against Apple's device-management schemas (github.com/apple/device-management):
// profile payloads (mdm/profiles), check-in messages (mdm/checkin) and commands
// (mdm/commands). Everything we emit must pass; uploaded or received dictionaries are
// checked with the same rules.
//
// Reading of the schema format, where it is not obvious:
// - `presence: required` is qualified by `supportedOS`: a key that is "n/a" on some OS,
//   required or forbidden only in user enrollment, or limited to one channel is only
//   required when the context says those conditions hold (CheckOut lists both UDID and
//   EnrollmentID as required; a device sends one of them).
// - `subkeys` of an <array> describe its items (several subkeys = alternative item
//   shapes, as in the Settings command); of a <dictionary> its keys, where a key named
//   ANY matches any key; of a <string> the allowed values (DeviceInformation Queries).
// - `repetition` on an array's item bounds the array's length.
// - Recursive schemas (YAML anchors) are fine: validation recursion follows the data.
import fs from "node:fs";
import path from "node:path";
import * as yaml from "js-yaml";

export type AppleOS = "iOS" | "macOS" | "tvOS" | "visionOS" | "watchOS";

export interface OsSupport {
  introduced?: string;
  supervised?: boolean;
  requiresdep?: boolean;
  removed?: string;
  devicechannel?: boolean;
  userchannel?: boolean;
  userenrollment?: { mode?: string };
  sharedipad?: { mode?: string };
}

export interface SchemaKey {
  key: string;
  type?: string;
  presence?: string;
  rangelist?: unknown[];
  range?: { min?: number; max?: number };
  format?: string;
  repetition?: { min?: number; max?: number };
  subkeys?: SchemaKey[];
  supportedOS?: Partial<Record<AppleOS, OsSupport | null>>;
}

export interface SchemaFile {
  title?: string;
  payload: { payloadtype?: string; requesttype?: string; supportedOS?: Partial<Record<AppleOS, OsSupport | null>> };
  payloadkeys?: SchemaKey[];
  responsekeys?: SchemaKey[];
}

export interface ValidationContext {
  /** The OS the dictionary is for; unknown means "required on every OS" is what counts. */
  os?: AppleOS;
  /** True for user enrollment (BYOD), false for device enrollment, unknown otherwise. */
  userEnrollment?: boolean;
  channel?: "device" | "user";
  /** Keys the schema does not list: "error" (default for what we emit) or "ignore". */
  unknownKeys?: "error" | "ignore";
}

const MAX_DEPTH = 64;

/** Where Apple's schemas live: APPLE_SCHEMAS_DIR, else the vendored copy (MIT, vendor/apple-device-management). */
export function appleSchemasDir(): string {
  const fromEnv = process.env.APPLE_SCHEMAS_DIR?.trim();
  return fromEnv ? path.resolve(fromEnv) : path.resolve(process.cwd(), "vendor/apple-device-management");
}

type Category = "profiles" | "checkin" | "commands";
const indexes = new Map<string, Map<string, SchemaFile[]>>();

function loadIndex(category: Category): Map<string, SchemaFile[]> {
  const dir = path.join(appleSchemasDir(), "mdm", category);
  const cacheKey = dir;
  const hit = indexes.get(cacheKey);
  if (hit) return hit;
  if (!fs.existsSync(dir)) throw new Error(`Apple schema folder not found: ${dir} (set APPLE_SCHEMAS_DIR)`);
  const index = new Map<string, SchemaFile[]>();
  for (const file of fs.readdirSync(dir).sort()) {
    if (!file.endsWith(".yaml")) continue;
    const doc = yaml.load(fs.readFileSync(path.join(dir, file), "utf8")) as SchemaFile | undefined;
    const name = doc?.payload?.payloadtype ?? doc?.payload?.requesttype;
    if (!doc || !name) continue;
    const list = index.get(name) ?? [];
    list.push(doc);
    index.set(name, list);
  }
  indexes.set(cacheKey, index);
  return index;
}

/**
 * Loads every schema folder now (server start) instead of on the first device message that
 * needs one: parsing the YAML takes the better part of a second, which the first check-in
 * or command result of each worker would otherwise wait for.
 */
export function preloadAppleSchemas(): void {
  for (const category of ["profiles", "checkin", "commands"] as const) loadIndex(category);
}

/** The schema files for a payload type (several for com.apple.MCX and extensiblesso). */
export function profileSchemas(payloadType: string): SchemaFile[] {
  return loadIndex("profiles").get(payloadType) ?? [];
}

// ---------------------------------------------------------------- value checks

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof Uint8Array) return "data";
  if (v instanceof Date) return "date";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "real";
  if (typeof v === "object") return "dictionary";
  return typeof v;
}

function isDict(v: unknown): v is Record<string, unknown> {
  return typeName(v) === "dictionary";
}

function typeMatches(schemaType: string, v: unknown): boolean {
  switch (schemaType) {
    case "<string>":
      return typeof v === "string";
    case "<integer>":
      return typeof v === "number" && Number.isInteger(v);
    case "<real>":
      return typeof v === "number" && Number.isFinite(v);
    case "<boolean>":
      return typeof v === "boolean";
    case "<array>":
      return Array.isArray(v);
    case "<dictionary>":
      return isDict(v);
    case "<data>":
      return v instanceof Uint8Array;
    case "<date>":
      return v instanceof Date && !Number.isNaN(v.getTime());
    default:
      return true; // <any>, or a type this validator does not know
  }
}

function requiredOn(support: OsSupport | null | undefined, ctx: ValidationContext): boolean {
  if (!support) return true;
  if (support.introduced === "n/a" || support.removed) return false;
  const ue = support.userenrollment?.mode;
  if (ue === "forbidden" && ctx.userEnrollment !== false) return false;
  if (ue === "required" && ctx.userEnrollment !== true) return false;
  if (support.devicechannel === false && ctx.channel !== "user") return false;
  if (support.userchannel === false && ctx.channel !== "device") return false;
  if (support.sharedipad?.mode === "required") return false;
  return true;
}

function isRequired(k: SchemaKey, ctx: ValidationContext): boolean {
  if (k.presence !== "required") return false;
  const sos = k.supportedOS;
  if (!sos) return true;
  if (ctx.os) return requiredOn(sos[ctx.os], ctx);
  return (Object.keys(sos) as AppleOS[]).every((os) => requiredOn(sos[os], ctx));
}

const isWildcard = (k: SchemaKey) => k.key === "ANY" || k.key.startsWith("ANY ");

// The schemas are loaded once; what is derived from them (compiled patterns, key lookups)
// is kept beside them, not rebuilt for every dictionary a device sends.
const formats = new WeakMap<SchemaKey, RegExp | null>();
function formatOf(k: SchemaKey): RegExp | null {
  let re = formats.get(k);
  if (re === undefined) {
    try {
      re = new RegExp(k.format!);
    } catch {
      re = null; // a pattern JavaScript cannot compile is not ours to enforce
    }
    formats.set(k, re);
  }
  return re;
}

interface KeyLookup {
  byName: Map<string, SchemaKey>;
  wildcard: SchemaKey | null;
}
const lookups = new WeakMap<SchemaKey[], KeyLookup>();
function lookupOf(keys: SchemaKey[]): KeyLookup {
  let l = lookups.get(keys);
  if (!l) {
    l = { byName: new Map(), wildcard: null };
    for (const k of keys) {
      if (isWildcard(k)) l.wildcard = k;
      else l.byName.set(k.key, k);
    }
    lookups.set(keys, l);
  }
  return l;
}

function validateValue(k: SchemaKey, v: unknown, at: string, ctx: ValidationContext, depth: number, errors: string[]): void {
  if (depth > MAX_DEPTH) {
    errors.push(`${at}: nested too deeply`);
    return;
  }
  const t = k.type ?? "<any>";
  if (!typeMatches(t, v)) {
    errors.push(`${at}: expected ${t.replace(/[<>]/g, "")}, got ${typeName(v)}`);
    return;
  }
  if (k.rangelist && !Array.isArray(v) && !isDict(v)) {
    if (!k.rangelist.some((allowed) => allowed === v || String(allowed) === String(v))) {
      errors.push(`${at}: ${JSON.stringify(v)} is not one of ${k.rangelist.map((x) => JSON.stringify(x)).join(", ")}`);
    }
  }
  if (k.range && typeof v === "number") {
    if (typeof k.range.min === "number" && v < k.range.min) errors.push(`${at}: ${v} is below the minimum ${k.range.min}`);
    if (typeof k.range.max === "number" && v > k.range.max) errors.push(`${at}: ${v} is above the maximum ${k.range.max}`);
  }
  if (k.format && typeof v === "string") {
    const re = formatOf(k);
    if (re && !re.test(v)) errors.push(`${at}: "${v}" does not match ${k.format}`);
  }
  const subs = k.subkeys;
  if (!subs || subs.length === 0) return;
  if (typeof v === "string" && t === "<string>") {
    // The subkeys of a string list its allowed values (DeviceInformation Queries).
    if (!subs.some((s) => s.key === v)) errors.push(`${at}: "${v}" is not one of the listed values`);
    return;
  }
  if (Array.isArray(v)) {
    validateArray(subs, v, at, ctx, depth, errors);
    return;
  }
  if (isDict(v)) validateDict(dictSubkeys(subs, v), v, at, ctx, depth + 1, errors);
}

/**
 * A dictionary described by a single "<Name>Item" dictionary subkey (TopLevel ConsentText)
 * holds that item's keys directly: `{ en: "..." }`, not `{ ConsentTextItem: {...} }`.
 */
function dictSubkeys(subs: SchemaKey[], v: Record<string, unknown>): SchemaKey[] {
  const only = subs.length === 1 ? subs[0] : null;
  if (only && only.type === "<dictionary>" && /Item$/.test(only.key) && !(only.key in v) && only.subkeys) return only.subkeys;
  return subs;
}

function validateArray(subs: SchemaKey[], v: unknown[], at: string, ctx: ValidationContext, depth: number, errors: string[]): void {
  if (subs.length === 1) {
    const item = subs[0];
    const rep = item.repetition;
    if (rep && typeof rep.min === "number" && v.length < rep.min) errors.push(`${at}: needs at least ${rep.min} item(s), has ${v.length}`);
    if (rep && typeof rep.max === "number" && v.length > rep.max) errors.push(`${at}: allows at most ${rep.max} item(s), has ${v.length}`);
    for (const [i, x] of v.entries()) validateValue(item, x, `${at}[${i}]`, ctx, depth + 1, errors);
    return;
  }
  // Alternatives: the item must match one of them (Settings items, told apart by "Item").
  v.forEach((x, i) => {
    let best: string[] | null = null;
    for (const alt of subs) {
      const errs: string[] = [];
      validateValue(alt, x, `${at}[${i}]`, ctx, depth + 1, errs);
      if (errs.length === 0) return;
      if (!best || errs.length < best.length) best = errs;
    }
    errors.push(...(best ?? [`${at}[${i}]: matches none of the allowed item shapes`]));
  });
}

function validateDict(keys: SchemaKey[], dict: Record<string, unknown>, at: string, ctx: ValidationContext, depth: number, errors: string[]): void {
  const { byName, wildcard } = lookupOf(keys);
  for (const k of byName.values()) {
    if (!(k.key in dict) && isRequired(k, ctx)) errors.push(`${at}${at ? "." : ""}${k.key}: required key is missing`);
  }
  for (const [name, value] of Object.entries(dict)) {
    const where = `${at}${at ? "." : ""}${name}`;
    const k = byName.get(name) ?? wildcard;
    if (!k) {
      if ((ctx.unknownKeys ?? "error") === "error") errors.push(`${where}: key is not defined by Apple's schema`);
      continue;
    }
    validateValue(k, value, where, ctx, depth, errors);
  }
}

// ---------------------------------------------------------------- public API

function commonKeys(): SchemaKey[] {
  return loadIndex("profiles").get("CommonPayloadKeys")?.[0]?.payloadkeys ?? [];
}

function mergeKeys(base: SchemaKey[], own: SchemaKey[]): SchemaKey[] {
  const ownNames = new Set(own.map((k) => k.key));
  return [...base.filter((k) => !ownNames.has(k.key)), ...own];
}

/** A payload schema's keys with the common payload keys: one array per schema, so its lookup is kept. */
const payloadKeys = new WeakMap<SchemaFile, SchemaKey[]>();
function payloadKeysOf(schema: SchemaFile): SchemaKey[] {
  let keys = payloadKeys.get(schema);
  if (!keys) {
    keys = mergeKeys(commonKeys(), schema.payloadkeys ?? []);
    payloadKeys.set(schema, keys);
  }
  return keys;
}

/** Checks dict against each variant's keys: none when one fits, else the closest variant's errors. */
function bestOf(variants: SchemaFile[], keysOf: (s: SchemaFile) => SchemaKey[], dict: Record<string, unknown>, label: string, ctx: ValidationContext): string[] {
  let best: string[] | null = null;
  for (const schema of variants) {
    const errs: string[] = [];
    validateDict(keysOf(schema), dict, label, ctx, 0, errs);
    if (errs.length === 0) return [];
    if (!best || errs.length < best.length) best = errs;
  }
  return best ?? [];
}

/** Validates one payload dictionary (common payload keys + the type's own keys). */
export function validatePayload(payloadType: string, dict: unknown, ctx: ValidationContext = {}): string[] {
  const label = payloadType;
  if (!isDict(dict)) return [`${label}: payload is not a dictionary`];
  const variants = profileSchemas(payloadType);
  if (variants.length === 0 || payloadType === "TopLevel" || payloadType === "CommonPayloadKeys") {
    return [`${label}: no Apple schema for payload type "${payloadType}"`];
  }
  const typeErrors = dict.PayloadType === payloadType ? [] : [`${label}.PayloadType: expected "${payloadType}", got ${JSON.stringify(dict.PayloadType)}`];
  return [...typeErrors, ...bestOf(variants, payloadKeysOf, dict, label, ctx)];
}

const IDENTITY_TYPES = new Set(["com.apple.security.scep", "com.apple.security.pkcs12", "com.apple.security.acme"]);

/**
 * Validates a whole Configuration profile: the TopLevel keys, every PayloadContent item by
 * its PayloadType, unique PayloadUUID/PayloadIdentifier, and that an MDM payload's
 * IdentityCertificateUUID points at an identity payload in the same profile.
 */
export function validateProfile(top: unknown, ctx: ValidationContext = {}): string[] {
  if (!isDict(top)) return ["profile is not a dictionary"];
  const schema = loadIndex("profiles").get("TopLevel")?.[0];
  if (!schema) return ["TopLevel schema missing"];
  const errors: string[] = [];
  const keys = (schema.payloadkeys ?? []).map((k) => (k.key === "PayloadContent" ? { ...k, presence: top.IsEncrypted === true ? "optional" : k.presence, subkeys: undefined } : k));
  validateDict(keys, top, "", ctx, 0, errors);
  const content = top.PayloadContent;
  if (!Array.isArray(content)) return errors;

  const uuids = new Map<string, string>();
  const identifiers = new Set<string>();
  if (typeof top.PayloadUUID === "string") uuids.set(top.PayloadUUID.toUpperCase(), "TopLevel");
  if (typeof top.PayloadIdentifier === "string") identifiers.add(top.PayloadIdentifier);
  content.forEach((item, i) => {
    const at = `PayloadContent[${i}]`;
    if (!isDict(item)) {
      errors.push(`${at}: expected dictionary, got ${typeName(item)}`);
      return;
    }
    const type = typeof item.PayloadType === "string" ? item.PayloadType : "";
    errors.push(...validatePayload(type, item, ctx).map((e) => `${at} ${e}`));
    if (typeof item.PayloadUUID === "string") {
      const u = item.PayloadUUID.toUpperCase();
      if (uuids.has(u)) errors.push(`${at}.PayloadUUID: ${item.PayloadUUID} is not unique in the profile`);
      uuids.set(u, type);
    }
    if (typeof item.PayloadIdentifier === "string") {
      if (identifiers.has(item.PayloadIdentifier)) errors.push(`${at}.PayloadIdentifier: ${item.PayloadIdentifier} is not unique in the profile`);
      identifiers.add(item.PayloadIdentifier);
    }
  });
  content.forEach((item, i) => {
    if (!isDict(item) || item.PayloadType !== "com.apple.mdm" || typeof item.IdentityCertificateUUID !== "string") return;
    const target = uuids.get(item.IdentityCertificateUUID.toUpperCase());
    if (!target || !IDENTITY_TYPES.has(target)) {
      errors.push(`PayloadContent[${i}] com.apple.mdm.IdentityCertificateUUID: ${item.IdentityCertificateUUID} is not the UUID of an identity payload (SCEP, PKCS#12, ACME) in this profile`);
    }
  });
  return errors;
}

/** Validates a check-in message (mdm/checkin/*.yaml) by its MessageType. Unknown keys are ignored by default. */
export function validateCheckin(messageType: string, dict: unknown, ctx: ValidationContext = {}): string[] {
  const c: ValidationContext = { unknownKeys: "ignore", ...ctx };
  const variants = loadIndex("checkin").get(messageType) ?? [];
  if (variants.length === 0) return [`${messageType}: no Apple schema for check-in message type "${messageType}"`];
  if (!isDict(dict)) return [`${messageType}: message is not a dictionary`];
  const typeErrors = dict.MessageType === messageType ? [] : [`${messageType}.MessageType: expected "${messageType}", got ${JSON.stringify(dict.MessageType)}`];
  return [...typeErrors, ...bestOf(variants, (schema) => schema.payloadkeys ?? [], dict, messageType, c)];
}

/** Every RequestType Apple's command schemas describe. */
export function knownCommandTypes(): string[] {
  return [...loadIndex("commands").keys()];
}

/**
 * Where a command (or, with `item`, one of its keys or array-item alternatives, such as
 * Settings' DeviceName item) is supported: the `supportedOS` block of its schema.
 */
export function commandSupport(requestType: string, item?: string): Partial<Record<AppleOS, OsSupport | null>> | null {
  const schema = loadIndex("commands").get(requestType)?.[0];
  if (!schema) return null;
  if (!item) return schema.payload.supportedOS ?? null;
  const find = (keys: SchemaKey[] | undefined): SchemaKey | undefined => {
    for (const k of keys ?? []) {
      if (k.key === item && k.supportedOS) return k;
      const sub = find(k.subkeys);
      if (sub) return sub;
    }
    return undefined;
  };
  return find(schema.payloadkeys)?.supportedOS ?? null;
}

/**
 * Validates an MDM command (mdm/commands/*.yaml): either the inner `Command` dictionary
 * (RequestType + the request's keys) or the whole `{ CommandUUID, Command }` envelope.
 */
export function validateCommand(requestType: string, commandDict: unknown, ctx: ValidationContext = {}): string[] {
  const variants = loadIndex("commands").get(requestType) ?? [];
  if (variants.length === 0) return [`${requestType}: no Apple schema for command "${requestType}"`];
  if (!isDict(commandDict)) return [`${requestType}: command is not a dictionary`];
  const errors: string[] = [];
  let inner: Record<string, unknown> = commandDict;
  if (isDict(commandDict.Command)) {
    if (typeof commandDict.CommandUUID !== "string" || commandDict.CommandUUID === "") errors.push(`CommandUUID: required string is missing`);
    for (const k of Object.keys(commandDict)) {
      if (k !== "Command" && k !== "CommandUUID" && (ctx.unknownKeys ?? "error") === "error") errors.push(`${k}: key is not part of a command envelope`);
    }
    inner = commandDict.Command;
  }
  if (inner.RequestType !== requestType) errors.push(`${requestType}.RequestType: expected "${requestType}", got ${JSON.stringify(inner.RequestType)}`);
  const { RequestType: _rt, ...rest } = inner;
  void _rt;
  return [...errors, ...bestOf(variants, (schema) => schema.payloadkeys ?? [], rest, requestType, ctx)];
}

/** Validates a command's response keys (the device's answer besides Status/UDID/CommandUUID). */
export function validateCommandResponse(requestType: string, response: unknown, ctx: ValidationContext = {}): string[] {
  const c: ValidationContext = { unknownKeys: "ignore", ...ctx };
  const variants = loadIndex("commands").get(requestType) ?? [];
  if (variants.length === 0) return [`${requestType}: no Apple schema for command "${requestType}"`];
  if (!isDict(response)) return [`${requestType}: response is not a dictionary`];
  return bestOf(variants, (schema) => schema.responsekeys ?? [], response, `${requestType} response`, c);
}
