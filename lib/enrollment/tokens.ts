// OTA enrollment tokens: a signed JWT (the link a user opens) backed by a database row
// (revocation, use count, the sealed JWT so the portal can show the link again).
// Verification never consumes a use; consumeEnrollmentUse does, atomically.
import crypto from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT, decodeProtectedHeader, decodeJwt, type JWTPayload } from "jose";
import { z } from "zod";
import { config } from "../config";
import { db } from "../db/client";
import type { EnrollmentToken } from "../db/generated/sqlite/client";
import { badRequest, invalidInput, notFound } from "../errors";
import type { ReasonCode } from "../log/reasons";
import { seal, unseal } from "../secrets/sealed";
import { deviceLimitInput, normalizeEmail } from "./deviceLimit";
import { getJwtKeys, JWT_ALG, JWT_SIGNATURE_BYTES } from "./jwtKey";
import { ensureShortId, isShortIdShape, newShortId, shortEnrollmentUrl } from "./shortLinks";
import { sortByText, tokenOrderBy, tokenWhere, type TokenQuery } from "./tokenQuery";
import { termsInput, termsVersion } from "./terms";

export type { EnrollmentToken };

/** JOSE header `typ`: keeps other JWTs this server might sign from passing as enrollment tokens. */
export const ENROLLMENT_JWT_TYP = "enroll+jwt";
const SEAL_CONTEXT = "enrollment-token";

export type ExpiryPreset = "24h" | "7d" | "30d" | "never";
export type ExpiresIn = ExpiryPreset | { at: Date };

export const EXPIRY_PRESETS: Record<Exclude<ExpiryPreset, "never">, number> = {
  "24h": 24 * 3600_000,
  "7d": 7 * 24 * 3600_000,
  "30d": 30 * 24 * 3600_000,
};

/** Ten years: a "custom" expiry beyond that is a typo, not a plan. */
const MAX_CUSTOM_MS = 10 * 365 * 24 * 3600_000;
export const MAX_USES_LIMIT = 1_000_000;

export interface CreateTokenInput {
  name: string;
  expiresIn: ExpiresIn;
  groupId?: string | null;
  scepProfileId?: string | null;
  /** Instead of scepProfileId: an external SCEP CA issues the MDM identity. */
  externalScepProfileId?: string | null;
  /** 0 = unlimited. */
  maxUses?: number;
  /** Per-user device limit for this link: null/absent = the organisation setting, 0 = none. */
  deviceLimit?: number | null;
  /** Per-person link: the one person (email) it is for. */
  personEmail?: string | null;
  /** Markdown terms to accept before downloading. */
  terms?: string | null;
  /** Device-bound OTA: serve Apple's Profile Service first and make the enrollment profile for the device that answers. */
  deviceBound?: boolean;
  /** Refuse models that cannot attest (implies deviceBound). */
  requireAttestation?: boolean;
}

/** The claims seed 000 shows; exp is absent for tokens that never expire. */
export interface EnrollmentClaims extends JWTPayload {
  sub: string;
  name: string;
  jti: string;
  group_id?: string;
  scep_profile?: string;
  max_uses: number;
}

export type TokenReason = Extract<ReasonCode, "token_missing" | "token_malformed" | "token_bad_signature" | "token_expired" | "token_revoked" | "token_exhausted" | "token_unknown">;

export type VerifyResult = { ok: true; tokenId: string; token: EnrollmentToken; claims: EnrollmentClaims } | { ok: false; reason: TokenReason; tokenId?: string };

export type TokenStatus = "active" | "expired" | "exhausted" | "revoked";

export interface TokenSummary {
  id: string;
  name: string;
  groupId: string | null;
  groupName: string | null;
  scepProfileId: string | null;
  scepProfileName: string | null;
  externalScepProfileId: string | null;
  maxUses: number;
  /** Uses spent: devices enrolled with the link. */
  useCount: number;
  /** Uses held by downloads no device has enrolled from yet (released after the challenge lifetime). */
  reservedUses: number;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  createdBy: string | null;
  status: TokenStatus;
  deviceLimit: number | null;
  personEmail: string | null;
  terms: string | null;
  /** Version (SHA-256) of the terms, null without terms. */
  termsVersion: string | null;
  /** Device-bound OTA (Apple's Profile Service first), see docs/attestation.md. */
  deviceBound: boolean;
  /** Only devices that can attest may enroll (implies deviceBound). */
  requireAttestation: boolean;
  /** Null if the sealed JWT cannot be opened (MDM_SECRET changed) or the links are hidden. */
  url: string | null;
  /** The short link (/e/<id>) the portal copies and puts in QR codes by default. */
  shortUrl: string | null;
  /** The links were left out: the caller may not see them (a Read-only admin). */
  linksHidden: boolean;
}

/** Links (and so QR codes) enroll devices: only callers allowed to see them get them (lib/auth/roles.ts seesEnrollmentSecrets). */
export interface TokenReadOptions {
  withLinks: boolean;
}

// ---------------------------------------------------------------- input

const nameSchema = z.string().trim().min(1, "Name is required").max(100, "Name must be at most 100 characters");

/** JSON / form input, as the API and the portal send it: expiresIn is a preset or { at: ISO date }. */
export const createTokenInputSchema = z.object({
  name: nameSchema,
  expiresIn: z.union([z.enum(["24h", "7d", "30d", "never"]), z.object({ at: z.coerce.date({ error: "expiresIn.at must be a date" }) })]),
  groupId: z.string().trim().min(1).max(100).nullish(),
  scepProfileId: z.string().trim().min(1).max(100).nullish(),
  externalScepProfileId: z.string().trim().min(1).max(100).nullish(),
  maxUses: z.number().int("maxUses must be a whole number").min(0, "maxUses must be 0 (unlimited) or more").max(MAX_USES_LIMIT).default(0),
  deviceLimit: deviceLimitInput.nullish(),
  personEmail: z
    .string()
    .trim()
    .toLowerCase()
    .max(254)
    .email("personEmail must be an email address")
    .nullish()
    .or(z.literal("").transform(() => null)),
  terms: termsInput.nullish(),
  deviceBound: z.boolean().optional(),
  requireAttestation: z.boolean().optional(),
});

/** Parses API or form input into CreateTokenInput; throws a 400 AppError naming the field. */
export function parseTokenInput(raw: unknown): CreateTokenInput {
  const parsed = createTokenInputSchema.safeParse(raw);
  if (!parsed.success) throw invalidInput("invalid_token_input", parsed.error);
  return parsed.data;
}

function expiryDate(expiresIn: ExpiresIn, now: number): Date | null {
  if (expiresIn === "never") return null;
  if (typeof expiresIn === "string") return new Date(now + EXPIRY_PRESETS[expiresIn]);
  const at = expiresIn.at;
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw badRequest("invalid_token_input", "expiresIn.at: not a valid date");
  if (at.getTime() <= now + 1000) throw badRequest("invalid_token_input", "expiresIn.at: the expiry date must be in the future");
  if (at.getTime() > now + MAX_CUSTOM_MS) throw badRequest("invalid_token_input", "expiresIn.at: the expiry date must be within 10 years");
  return at;
}

// ---------------------------------------------------------------- organisation (JWT sub)

/** The organisation the tokens are issued for: the oldest row, created on first need. */
async function organizationId(): Promise<string> {
  const first = await db().organization.findFirst({ orderBy: { createdAt: "asc" }, select: { id: true } });
  if (first) return first.id;
  const created = await db().organization.create({ data: { name: "Default organization" } });
  // Another instance may have raced us; everyone settles on the oldest row.
  const oldest = await db().organization.findFirst({ orderBy: { createdAt: "asc" }, select: { id: true } });
  return oldest?.id ?? created.id;
}

// ---------------------------------------------------------------- create / list / revoke

/** The row's expiry is the JWT's, to the second, so list and verifier agree. */
function toSecond(at: Date | null): Date | null {
  return at ? new Date(Math.floor(at.getTime() / 1000) * 1000) : null;
}

/** Signs the link's JWT from the token's fields (on create, and again when an edit changes a claim). */
async function signEnrollmentJwt(t: { id: string; name: string; groupId: string | null; scepProfileId: string | null; maxUses: number; expiresAt: Date | null }, now: number): Promise<string> {
  const keys = await getJwtKeys();
  const claims: EnrollmentClaims = {
    sub: await organizationId(),
    name: t.name,
    jti: t.id,
    max_uses: t.maxUses,
    ...(t.groupId ? { group_id: t.groupId } : {}),
    ...(t.scepProfileId ? { scep_profile: t.scepProfileId } : {}),
  };
  let signer = new SignJWT(claims).setProtectedHeader({ alg: keys.alg, kid: keys.kid, typ: ENROLLMENT_JWT_TYP }).setIssuedAt(Math.floor(now / 1000));
  if (t.expiresAt) signer = signer.setExpirationTime(Math.floor(t.expiresAt.getTime() / 1000));
  return signer.sign(keys.privateKey);
}

export function enrollmentUrl(jwt: string): string {
  return `${config().publicUrl}/enroll?token=${jwt}`;
}

export async function createEnrollmentToken(input: CreateTokenInput, createdBy?: string): Promise<{ id: string; jwt: string; url: string; shortUrl: string; expiresAt: Date | null }> {
  const name = nameSchema.parse(input.name);
  const maxUses = input.maxUses ?? 0;
  if (!Number.isInteger(maxUses) || maxUses < 0 || maxUses > MAX_USES_LIMIT) throw badRequest("invalid_token_input", "maxUses: must be a whole number from 0 (unlimited) to 1000000");
  const now = Date.now();
  const expiresAt = expiryDate(input.expiresIn, now);
  const groupId = input.groupId || null;
  const scepProfileId = input.scepProfileId || null;
  const governance = {
    deviceLimit: input.deviceLimit ?? null,
    personEmail: input.personEmail ? normalizeEmail(input.personEmail) : null,
    terms: input.terms?.trim() || null,
    // Attestation is decided in the Profile Service phase, so requiring it makes the link device-bound.
    deviceBound: Boolean(input.deviceBound || input.requireAttestation),
    requireAttestation: Boolean(input.requireAttestation),
  };
  if (governance.deviceLimit !== null && !deviceLimitInput.safeParse(governance.deviceLimit).success)
    throw badRequest("invalid_token_input", "deviceLimit: must be a whole number from 0 (no limit) to 1000");
  if (groupId && !(await db().deviceGroup.findUnique({ where: { id: groupId }, select: { id: true } }))) {
    throw badRequest("invalid_token_input", "groupId: no such device group");
  }
  if (scepProfileId && !(await db().scepProfile.findUnique({ where: { id: scepProfileId }, select: { id: true } }))) {
    throw badRequest("invalid_token_input", "scepProfileId: no such SCEP profile");
  }
  const externalScepProfileId = input.externalScepProfileId || null;
  if (externalScepProfileId && scepProfileId) throw badRequest("invalid_token_input", "externalScepProfileId: give a SCEP profile or an external one, not both");
  if (externalScepProfileId && !(await db().externalScepProfile.findUnique({ where: { id: externalScepProfileId }, select: { id: true } }))) {
    throw badRequest("invalid_token_input", "externalScepProfileId: no such external SCEP profile");
  }

  const id = crypto.randomUUID();
  const shortId = newShortId();
  const jwt = await signEnrollmentJwt({ id, name, groupId, scepProfileId, maxUses, expiresAt }, now);

  await db().enrollmentToken.create({
    data: {
      id,
      name,
      groupId,
      scepProfileId,
      externalScepProfileId,
      maxUses,
      expiresAt: toSecond(expiresAt),
      jwtEnc: seal(jwt, `${SEAL_CONTEXT}:${id}`),
      shortId,
      createdBy: createdBy ?? null,
      ...governance,
    },
  });
  return { id, jwt, url: enrollmentUrl(jwt), shortUrl: shortEnrollmentUrl(shortId), expiresAt };
}

export function tokenStatus(row: Pick<EnrollmentToken, "revokedAt" | "expiresAt" | "maxUses" | "useCount">, now = new Date()): TokenStatus {
  if (row.revokedAt) return "revoked";
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return "expired";
  if (row.maxUses > 0 && row.useCount >= row.maxUses) return "exhausted";
  return "active";
}

/** The stored JWT of a token (for its URL and QR code), or null if it cannot be unsealed. */
export function tokenJwt(row: Pick<EnrollmentToken, "id" | "jwtEnc">): string | null {
  if (!row.jwtEnc) return null;
  try {
    return unseal(row.jwtEnc, `${SEAL_CONTEXT}:${row.id}`);
  } catch {
    return null;
  }
}

/** The JWT behind a short link's id, or null (unknown id, or the sealed JWT cannot be opened). */
export async function enrollmentJwtForShortId(shortId: string): Promise<string | null> {
  if (!isShortIdShape(shortId)) return null;
  const row = await db().enrollmentToken.findUnique({ where: { shortId }, select: { id: true, jwtEnc: true } });
  return row ? tokenJwt(row) : null;
}

type RowWithNames = EnrollmentToken & { group: { name: string } | null; scepProfile: { name: string } | null; externalScepProfile: { name: string } | null };

function summarize(row: RowWithNames, now: Date, withLinks: boolean): TokenSummary {
  const jwt = withLinks ? tokenJwt(row) : null;
  return {
    id: row.id,
    name: row.name,
    groupId: row.groupId,
    groupName: row.group?.name ?? null,
    scepProfileId: row.scepProfileId,
    // An external CA shows under the same label, marked, so lists need no second column.
    scepProfileName: row.scepProfile?.name ?? (row.externalScepProfile ? `${row.externalScepProfile.name} (external CA)` : null),
    externalScepProfileId: row.externalScepProfileId,
    maxUses: row.maxUses,
    useCount: row.useCount,
    reservedUses: Math.max(0, row.claimedCount - row.useCount),
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    status: tokenStatus(row, now),
    deviceLimit: row.deviceLimit,
    personEmail: row.personEmail,
    terms: row.terms,
    termsVersion: row.terms ? termsVersion(row.terms) : null,
    deviceBound: row.deviceBound,
    requireAttestation: row.requireAttestation,
    url: jwt ? enrollmentUrl(jwt) : null,
    shortUrl: jwt && row.shortId ? shortEnrollmentUrl(row.shortId) : null,
    linksHidden: !withLinks,
  };
}

/** Tokens made before short links get their short id on first listing. */
async function withShortIds<T extends { id: string; shortId: string | null }>(rows: T[]): Promise<T[]> {
  return Promise.all(rows.map(async (r) => (r.shortId ? r : { ...r, shortId: await ensureShortId(r.id) })));
}

const withNames = { group: { select: { name: true } }, scepProfile: { select: { name: true } }, externalScepProfile: { select: { name: true } } } as const;

export async function listEnrollmentTokens(opts: TokenReadOptions & { take?: number; query?: TokenQuery }): Promise<TokenSummary[]> {
  const q = opts.query ?? {};
  const found = await db().enrollmentToken.findMany({ where: tokenWhere(q), include: withNames, orderBy: tokenOrderBy(q), take: opts.take ?? 500 });
  const rows = opts.withLinks ? await withShortIds(found) : found;
  const now = new Date();
  return sortByText(
    rows.map((r) => summarize(r, now, opts.withLinks)),
    q,
  );
}

export async function getEnrollmentToken(id: string, opts: TokenReadOptions): Promise<TokenSummary | null> {
  const row = await db().enrollmentToken.findUnique({ where: { id }, include: withNames });
  if (!row) return null;
  return summarize(opts.withLinks ? (await withShortIds([row]))[0] : row, new Date(), opts.withLinks);
}

/**
 * Revokes by jti. Revoking an already revoked token is not an error (keeps the first time).
 * The one-time SCEP challenges handed out with it and not yet used end now too (SCEP also
 * refuses them by the token's state, which covers one stored during the revocation).
 */
export async function revokeEnrollmentToken(id: string): Promise<TokenSummary> {
  const now = new Date();
  await db().enrollmentToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
  await db().scepChallenge.updateMany({ where: { tokenId: id, usedAt: null, source: { in: ["DYNAMIC", "NDES"] }, expiresAt: { gt: now } }, data: { expiresAt: now } });
  // Revoking needs the Admin role, which may see links.
  const row = await getEnrollmentToken(id, { withLinks: true });
  if (!row) throw notFound("enrollment token");
  return row;
}

// ---------------------------------------------------------------- edit / delete

/** Edits: name, group, and a later expiry ("extend"); absent fields stay as they are. */
export const updateTokenInputSchema = z
  .object({
    name: nameSchema.optional(),
    /** null or "" removes the group. */
    groupId: z.string().trim().max(100).nullish(),
    /** A preset adds its length to the current expiry (or to now, if that has passed); "never" removes the expiry; { at } must be later than the current one. */
    extendExpiry: z.union([z.enum(["24h", "7d", "30d", "never"]), z.object({ at: z.coerce.date({ error: "extendExpiry.at must be a date" }) })]).optional(),
  })
  .strict();
export type UpdateTokenInput = z.infer<typeof updateTokenInputSchema>;

function extendedExpiry(current: Date | null, change: ExpiresIn, now: number): Date | null {
  if (change === "never") return null;
  if (current === null) throw badRequest("invalid_token_input", "extendExpiry: the token never expires, so there is nothing to extend");
  const at = typeof change === "string" ? new Date(Math.max(now, current.getTime()) + EXPIRY_PRESETS[change]) : change.at;
  if (Number.isNaN(at.getTime())) throw badRequest("invalid_token_input", "extendExpiry.at: not a valid date");
  if (at.getTime() <= current.getTime()) throw badRequest("invalid_token_input", `extendExpiry.at: the new expiry must be later than the current one (${current.toISOString()})`);
  if (at.getTime() <= now + 1000) throw badRequest("invalid_token_input", "extendExpiry.at: the new expiry must be in the future");
  if (at.getTime() > now + MAX_CUSTOM_MS) throw badRequest("invalid_token_input", "extendExpiry.at: the new expiry must be within 10 years");
  return at;
}

/**
 * Renames, regroups or extends a token. The link's JWT carries name, group and expiry, so it
 * is signed again with the same jti: the short link and its QR code stay the same, and a full
 * link copied earlier keeps working until its own (older) expiry. Devices already enrolled
 * keep their group; the new group applies to enrollments from now on.
 */
export async function updateEnrollmentToken(id: string, raw: unknown): Promise<TokenSummary> {
  const parsed = updateTokenInputSchema.safeParse(raw);
  if (!parsed.success) throw invalidInput("invalid_token_input", parsed.error);
  const input = parsed.data;
  const row = await db().enrollmentToken.findUnique({ where: { id } });
  if (!row) throw notFound("enrollment token");
  const groupId = input.groupId === undefined ? row.groupId : input.groupId || null;
  if (groupId && groupId !== row.groupId && !(await db().deviceGroup.findUnique({ where: { id: groupId }, select: { id: true } }))) {
    throw badRequest("invalid_token_input", "groupId: no such device group");
  }
  const now = Date.now();
  const expiresAt = input.extendExpiry === undefined ? row.expiresAt : toSecond(extendedExpiry(row.expiresAt, input.extendExpiry, now));
  const name = input.name ?? row.name;
  const jwt = await signEnrollmentJwt({ id, name, groupId, scepProfileId: row.scepProfileId, maxUses: row.maxUses, expiresAt }, now);
  await db().enrollmentToken.update({ where: { id }, data: { name, groupId, expiresAt, jwtEnc: seal(jwt, `${SEAL_CONTEXT}:${id}`) } });
  // Only Admins and Owners may edit, and they see the links.
  return (await getEnrollmentToken(id, { withLinks: true }))!;
}

/**
 * Deletes a token. Its link, short link and QR code stop working at once (token_unknown);
 * the one-time SCEP challenges handed out with it end, and a profile downloaded from it but
 * not yet installed is refused at Authenticate. Devices enrolled with it stay enrolled and
 * managed with their group, person and terms; they only lose the link to the token (their
 * certificates keep its id for identity renewal, and log lines keep it for history).
 */
export async function deleteEnrollmentToken(id: string): Promise<{ id: string; name: string; devices: number }> {
  const row = await db().enrollmentToken.findUnique({ where: { id }, select: { name: true } });
  if (!row) throw notFound("enrollment token");
  const now = new Date();
  const [, devices] = await db().$transaction([
    db().scepChallenge.updateMany({ where: { tokenId: id, usedAt: null, expiresAt: { gt: now } }, data: { expiresAt: now } }),
    db().device.updateMany({ where: { tokenId: id }, data: { tokenId: null } }),
    // Open reservations go with the row (onDelete: Cascade).
    db().enrollmentToken.deleteMany({ where: { id } }),
  ]);
  return { id, name: row.name, devices: devices.count };
}

// ---------------------------------------------------------------- verify / consume

function isEnrollmentClaims(p: JWTPayload): p is EnrollmentClaims {
  return typeof p.jti === "string" && p.jti.length > 0 && typeof p.sub === "string" && typeof p.name === "string" && typeof p.max_uses === "number";
}

/**
 * Checks signature, expiry, revocation and remaining uses, in that order of trust: nothing
 * from the token is believed (not even its jti) until the signature checks out. Damaged
 * tokens (cut off when copied, not valid base64/JSON) are "malformed"; well-formed tokens
 * whose signature fails (altered, or signed by another key) are "bad signature".
 */
export async function verifyEnrollmentToken(jwt: string | null | undefined): Promise<VerifyResult> {
  const token = (jwt ?? "").trim();
  if (!token) return { ok: false, reason: "token_missing" };
  if (token.length > 8192) return { ok: false, reason: "token_malformed" };
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return { ok: false, reason: "token_malformed" };
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
    decodeJwt(token);
  } catch {
    return { ok: false, reason: "token_malformed" };
  }
  // A signature of the wrong length for its algorithm was cut off or damaged in transit.
  if (alg === JWT_ALG && Buffer.from(parts[2], "base64url").length !== JWT_SIGNATURE_BYTES) return { ok: false, reason: "token_malformed" };

  const keys = await getJwtKeys();
  let payload: JWTPayload;
  let expired = false;
  try {
    ({ payload } = await jwtVerify(token, keys.publicKey, { algorithms: [JWT_ALG], typ: ENROLLMENT_JWT_TYP }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      // jose checks the signature before the claims: this payload is authentic.
      payload = err.payload;
      expired = true;
    } else if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
      return { ok: false, reason: "token_bad_signature" };
    } else if (err instanceof joseErrors.JOSEError) {
      // Authentic but not an enrollment token (wrong typ, nbf in the future, bad claim types).
      return { ok: false, reason: "token_malformed" };
    } else {
      throw err;
    }
  }
  if (!isEnrollmentClaims(payload)) return { ok: false, reason: "token_malformed" };
  const tokenId = payload.jti;
  const row = await db().enrollmentToken.findUnique({ where: { id: tokenId } });
  if (!row) return { ok: false, reason: "token_unknown", tokenId };
  if (row.revokedAt) return { ok: false, reason: "token_revoked", tokenId };
  if (expired || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return { ok: false, reason: "token_expired", tokenId };
  if (row.maxUses > 0 && row.useCount >= row.maxUses) return { ok: false, reason: "token_exhausted", tokenId };
  return { ok: true, tokenId, token: row, claims: payload };
}

/**
 * Spends one free use of a token at once (a device enrolling without an open reservation,
 * lib/enrollment/reservations.ts), atomically: one conditional UPDATE on claimedCount (uses
 * spent or reserved), so N concurrent calls on a token with M free uses yield exactly M
 * successes on SQLite and PostgreSQL alike (PostgreSQL re-checks the WHERE on the locked
 * row). False when revoked, expired or no use is free.
 */
export async function consumeEnrollmentUse(tokenId: string, now: Date = new Date()): Promise<boolean> {
  const t = db().enrollmentToken;
  const { count } = await t.updateMany({
    where: {
      id: tokenId,
      revokedAt: null,
      AND: [{ OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] }, { OR: [{ maxUses: 0 }, { claimedCount: { lt: t.fields.maxUses } }] }],
    },
    data: { useCount: { increment: 1 }, claimedCount: { increment: 1 } },
  });
  return count === 1;
}

/** API/form entry: validates raw input (400 with the field named) and creates the token. */
export async function createEnrollmentTokenFromInput(raw: unknown, createdBy?: string) {
  return createEnrollmentToken(parseTokenInput(raw), createdBy);
}
