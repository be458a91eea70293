// Admin-defined account-driven routing: which enrollment (user or device) a person gets, on
// which MDM server, in which device group. The first enabled rule by position that matches
// the identifier's domain, the user and the model family wins.
import { z } from "zod";
import { db } from "../db/client";
import { fieldError, invalidInput, notFound } from "../errors";
import { ENROLLMENT_VERSIONS, type EnrollmentVersion } from "./accessTokens";
import { MAX_DEVICE_LIMIT } from "./deviceLimit";
import { termsInput } from "./terms";
import { parseIdentifier, type ParsedIdentifier } from "./users";

export const MODEL_FAMILIES = ["AppleTV", "iPad", "iPhone", "Mac", "RealityDevice", "Watch"] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];

export function isModelFamily(v: unknown): v is ModelFamily {
  return typeof v === "string" && (MODEL_FAMILIES as readonly string[]).includes(v);
}

/** The model family of a PRODUCT string such as "iPhone17,2" (enroll request body). */
export function modelFamilyOfProduct(product: string | null | undefined): ModelFamily | null {
  if (!product) return null;
  if (/^iPhone/.test(product)) return "iPhone";
  if (/^iPad/.test(product)) return "iPad";
  if (/^(Mac|iMac|MacBook|VirtualMac)/.test(product)) return "Mac";
  if (/^AppleTV/.test(product)) return "AppleTV";
  if (/^Watch/.test(product)) return "Watch";
  if (/^RealityDevice/.test(product)) return "RealityDevice";
  return null;
}

export interface AddeRouteRow {
  id: string;
  position: number;
  domain: string;
  userMatch: string | null;
  modelFamily: string | null;
  version: string;
  baseUrl: string | null;
  groupId: string | null;
  externalScepProfileId?: string | null;
  enabled: boolean;
  deviceLimit?: number | null;
  terms?: string | null;
}

export interface RouteDecision {
  routeId: string;
  version: EnrollmentVersion;
  /** Another MDM server's BaseURL; null means this server. */
  baseUrl: string | null;
  groupId: string | null;
  /** Per-user device limit of this rule (null: the organisation setting; 0: none). */
  deviceLimit: number | null;
  /** Terms (Markdown) the user accepts on the sign-in page; null: none. */
  terms: string | null;
}

function glob(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .toLowerCase()
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(value);
}

/** Domain patterns: "*" (any), "example.com" (exact), "*.example.com" (subdomains). */
export function domainMatches(pattern: string, domain: string): boolean {
  const p = pattern.trim().toLowerCase();
  if (p === "*") return true;
  return p.includes("*") ? glob(p, domain) : p === domain;
}

/** userMatch: an exact identifier or a glob ("*.contractor@example.com"); several comma-separated. */
export function userMatches(pattern: string | null, identifier: string): boolean {
  if (!pattern?.trim()) return true;
  return pattern
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)
    .some((p) => glob(p, identifier));
}

export function matchRoute(rules: AddeRouteRow[], who: ParsedIdentifier, modelFamily: string | null): AddeRouteRow | null {
  const sorted = [...rules].sort((a, b) => a.position - b.position);
  for (const r of sorted) {
    if (!r.enabled) continue;
    if (!domainMatches(r.domain, who.domain)) continue;
    if (!userMatches(r.userMatch, who.identifier)) continue;
    if (r.modelFamily && r.modelFamily !== modelFamily) continue;
    if (r.version !== "mdm-byod" && r.version !== "mdm-adde") continue;
    return r;
  }
  return null;
}

export async function resolveRoute(who: ParsedIdentifier, modelFamily: string | null): Promise<RouteDecision | null> {
  const rules = await db().addeRoute.findMany({ where: { enabled: true }, orderBy: { position: "asc" } });
  const r = matchRoute(rules, who, modelFamily);
  return r ? { routeId: r.id, version: r.version as EnrollmentVersion, baseUrl: r.baseUrl, groupId: r.groupId, deviceLimit: r.deviceLimit ?? null, terms: r.terms ?? null } : null;
}

/**
 * The external SCEP profile that issues the MDM identity for this user's enrollment: the
 * first enabled rule that matches the user, device family and enrollment kind decides; null
 * means the built-in CA.
 */
export async function externalIdentityProfileFor(identifier: string, modelFamily: string | null, version: EnrollmentVersion): Promise<string | null> {
  const who = parseIdentifier(identifier);
  if (!who) return null;
  const rules = await db().addeRoute.findMany({ where: { enabled: true, version }, orderBy: { position: "asc" } });
  return matchRoute(rules, who, modelFamily)?.externalScepProfileId ?? null;
}

/**
 * True when an enabled rule sends this user to this kind of enrollment (any model family).
 * Checked when a sign-in finishes and on every later use of the user's tokens, so a rule
 * that is deleted, disabled or changed stops them (lib/enrollment/bearerAuth.ts, the
 * refresh grant).
 */
export async function userRoutedTo(identifier: string, version: EnrollmentVersion): Promise<boolean> {
  const who = parseIdentifier(identifier);
  if (!who) return false;
  const rules = await db().addeRoute.findMany({ where: { enabled: true, version } });
  return rules.some((r) => domainMatches(r.domain, who.domain) && userMatches(r.userMatch, who.identifier));
}

/**
 * The device group for an account-driven enrollment (for the MDM check-in at Authenticate):
 * the matching rule's group, or null.
 */
export async function groupIdForUser(identifier: string, modelFamily: string | null): Promise<string | null> {
  const who = parseIdentifier(identifier);
  if (!who) return null;
  return (await resolveRoute(who, modelFamily))?.groupId ?? null;
}

/** The matching rule's governance (device limit, terms) for an account-driven user; null when no rule matches. */
export async function routeGovernanceFor(identifier: string, modelFamily: string | null): Promise<{ deviceLimit: number | null; terms: string | null } | null> {
  const who = parseIdentifier(identifier);
  if (!who) return null;
  const r = await resolveRoute(who, modelFamily);
  return r ? { deviceLimit: r.deviceLimit, terms: r.terms } : null;
}

// ------------------------------------------------------------------ admin API

export const routeInput = z
  .object({
    position: z.number().int().min(0).max(100000).optional(),
    domain: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^(\*|(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+)$/, 'domain must be "*", a domain name, or "*.domain"'),
    userMatch: z.string().trim().max(1000).nullable().optional(),
    modelFamily: z.enum(MODEL_FAMILIES).nullable().optional(),
    version: z.enum(ENROLLMENT_VERSIONS as [EnrollmentVersion, ...EnrollmentVersion[]]),
    baseUrl: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), "baseUrl must be an http(s) URL")
      .nullable()
      .optional(),
    groupId: z.string().min(1).nullable().optional(),
    /** The MDM identity comes from this external SCEP profile's CA (pinned) instead of ours. */
    externalScepProfileId: z.string().trim().min(1).max(100).nullable().optional(),
    enabled: z.boolean().optional(),
    deviceLimit: z.number().int().min(0).max(MAX_DEVICE_LIMIT).nullable().optional(),
    terms: termsInput.nullable().optional(),
  })
  .strict();

export function presentRoute(r: AddeRouteRow & { createdAt?: Date }) {
  return {
    id: r.id,
    position: r.position,
    domain: r.domain,
    userMatch: r.userMatch,
    modelFamily: r.modelFamily,
    version: r.version,
    baseUrl: r.baseUrl,
    groupId: r.groupId,
    externalScepProfileId: r.externalScepProfileId ?? null,
    enabled: r.enabled,
    deviceLimit: r.deviceLimit ?? null,
    terms: r.terms ?? null,
  };
}

export async function listRoutes() {
  const rows = await db().addeRoute.findMany({ orderBy: [{ position: "asc" }, { createdAt: "asc" }] });
  return rows.map(presentRoute);
}

/** Every field may change in an edit; null clears an optional one. */
export const routePatch = routeInput.partial().strict();

/** The match a rule decides for: two rules with the same one would leave the later one dead. */
function matchKey(r: { domain: string; userMatch?: string | null; modelFamily?: string | null; version: string }): string {
  const users = (r.userMatch ?? "")
    .split(",")
    .map((u) => u.trim().toLowerCase())
    .filter(Boolean)
    .sort()
    .join(",");
  return [r.domain.toLowerCase(), users, r.modelFamily ?? "", r.version].join("|");
}

async function refuseDuplicate(candidate: Parameters<typeof matchKey>[0], exceptId: string | null): Promise<void> {
  const key = matchKey(candidate);
  const others = await db().addeRoute.findMany({ where: exceptId ? { domain: candidate.domain, id: { not: exceptId } } : { domain: candidate.domain } });
  const same = others.find((o) => matchKey(o) === key);
  if (same) {
    throw fieldError(
      "duplicate_route",
      "domain",
      `rule #${same.position} already matches ${candidate.domain}${candidate.userMatch ? ` for ${candidate.userMatch}` : ""}${candidate.modelFamily ? ` on ${candidate.modelFamily}` : ""} for this enrollment type; edit that rule instead`,
      409,
    );
  }
}

async function checkReferences(input: { groupId?: string | null; externalScepProfileId?: string | null; baseUrl?: string | null }): Promise<void> {
  if (input.groupId) {
    const group = await db().deviceGroup.findUnique({ where: { id: input.groupId } });
    if (!group) throw fieldError("unknown_group", "groupId", `no device group with id ${input.groupId}`);
  }
  if (input.externalScepProfileId) {
    if (input.baseUrl) throw fieldError("invalid_route", "externalScepProfileId", "externalScepProfileId: a rule that sends users to another server does not enroll them here");
    const ext = await db().externalScepProfile.findUnique({ where: { id: input.externalScepProfileId }, select: { id: true } });
    if (!ext) throw fieldError("unknown_external_scep_profile", "externalScepProfileId", `no external SCEP profile with id ${input.externalScepProfileId}`);
  }
}

export async function createRoute(raw: unknown) {
  const parsed = routeInput.safeParse(raw);
  if (!parsed.success) {
    throw invalidInput("invalid_route", parsed.error);
  }
  const input = parsed.data;
  await checkReferences(input);
  await refuseDuplicate(input, null);
  let position = input.position;
  if (position === undefined) {
    const last = await db().addeRoute.findFirst({ orderBy: { position: "desc" } });
    position = last ? last.position + 10 : 10;
  }
  const row = await db().addeRoute.create({
    data: {
      position,
      domain: input.domain,
      userMatch: input.userMatch || null,
      modelFamily: input.modelFamily ?? null,
      version: input.version,
      baseUrl: input.baseUrl ?? null,
      groupId: input.groupId ?? null,
      externalScepProfileId: input.externalScepProfileId ?? null,
      enabled: input.enabled ?? true,
      deviceLimit: input.deviceLimit ?? null,
      terms: input.terms || null,
    },
  });
  return presentRoute(row);
}

export async function getRoute(id: string) {
  const row = await db().addeRoute.findUnique({ where: { id } });
  if (!row) throw notFound("routing rule");
  return presentRoute(row);
}

/** Changes the fields given; the result is checked as a whole (references, duplicates). */
export async function updateRoute(id: string, raw: unknown) {
  const parsed = routePatch.safeParse(raw);
  if (!parsed.success) throw invalidInput("invalid_route", parsed.error);
  const current = await getRoute(id);
  const patch = parsed.data;
  const next = {
    position: patch.position ?? current.position,
    domain: patch.domain ?? current.domain,
    userMatch: patch.userMatch === undefined ? current.userMatch : patch.userMatch || null,
    modelFamily: patch.modelFamily === undefined ? current.modelFamily : patch.modelFamily,
    version: patch.version ?? current.version,
    baseUrl: patch.baseUrl === undefined ? current.baseUrl : patch.baseUrl,
    groupId: patch.groupId === undefined ? current.groupId : patch.groupId,
    externalScepProfileId: patch.externalScepProfileId === undefined ? current.externalScepProfileId : patch.externalScepProfileId,
    enabled: patch.enabled ?? current.enabled,
    deviceLimit: patch.deviceLimit === undefined ? current.deviceLimit : patch.deviceLimit,
    terms: patch.terms === undefined ? current.terms : patch.terms || null,
  };
  await checkReferences({ groupId: patch.groupId, externalScepProfileId: next.externalScepProfileId, baseUrl: next.baseUrl });
  await refuseDuplicate(next, id);
  const row = await db().addeRoute.update({ where: { id }, data: next });
  return presentRoute(row);
}

/**
 * Puts the rules in the given order (every rule exactly once): positions become 10, 20, …
 * A list that repeats or leaves out a rule is refused, so no two rules share a place.
 */
export async function reorderRoutes(raw: unknown) {
  const parsed = z
    .object({ order: z.array(z.string().min(1).max(100)).max(1000) })
    .strict()
    .safeParse(raw);
  if (!parsed.success) throw invalidInput("invalid_order", parsed.error);
  const ids = parsed.data.order;
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw fieldError("invalid_order", "order", `order lists rule ${id} more than once`);
    seen.add(id);
  }
  return db().$transaction(async (tx) => {
    const existing = await tx.addeRoute.findMany({ select: { id: true } });
    const missing = existing.filter((r) => !seen.has(r.id)).map((r) => r.id);
    const unknown = ids.filter((id) => !existing.some((r) => r.id === id));
    if (unknown.length) throw fieldError("invalid_order", "order", `no routing rule with id ${unknown.join(", ")}`);
    if (missing.length) throw fieldError("invalid_order", "order", `order must list every rule once; missing ${missing.join(", ")}`);
    for (const [i, id] of ids.entries()) await tx.addeRoute.update({ where: { id }, data: { position: (i + 1) * 10 } });
    const rows = await tx.addeRoute.findMany({ orderBy: [{ position: "asc" }, { createdAt: "asc" }] });
    return rows.map(presentRoute);
  });
}

/** Moves one rule a place up or down (the portal's buttons), renumbering all rules. */
export async function moveRoute(id: string, direction: "up" | "down") {
  const order = (await listRoutes()).map((r) => r.id);
  const at = order.indexOf(id);
  if (at < 0) throw notFound("routing rule");
  const to = direction === "up" ? at - 1 : at + 1;
  if (to < 0 || to >= order.length) return listRoutes();
  [order[at], order[to]] = [order[to], order[at]];
  return reorderRoutes({ order });
}

export async function deleteRoute(id: string): Promise<boolean> {
  const res = await db().addeRoute.deleteMany({ where: { id } });
  return res.count > 0;
}
