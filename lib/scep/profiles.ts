// Admin-managed SCEP profiles: what certificates look like (subject template, key size,
// usage, validity) and how devices prove they may have one (challenge type). Secrets:
// the static password is sealed (it must go into profiles), the NDES password is hashed.
import crypto from "node:crypto";
import { z } from "zod";
import { config } from "../config";
import { db, isUniqueViolation } from "../db/client";
import type { ScepProfile } from "../db/generated/sqlite/client";
import { badRequest, fieldError, invalidInput, notFound } from "../errors";
import { seal, unseal } from "../secrets/sealed";
import { hashPassword } from "../secrets/hash";
import { staticChallengeProblem } from "./challengeStrength";
import { templateProblem } from "./subject";
import { scepUrl } from "./url";

export type { ScepProfile };

export const CHALLENGE_TYPES = ["STATIC", "DYNAMIC", "TOKEN", "NDES"] as const;
export type ChallengeKind = (typeof CHALLENGE_TYPES)[number];

const SEAL_CONTEXT = "scep:static";

/** NDES keeps this many unused passwords by default; then its page says the cache is full. */
export const NDES_DEFAULT_CACHE_SIZE = 5;
/** The most a profile may keep (a mass deployment fetches hundreds ahead). */
export const NDES_MAX_CACHE_SIZE = 1000;

const subjectTemplate = z
  .string()
  .trim()
  .min(1, "subjectTemplate is required")
  .max(256)
  .superRefine((value, ctx) => {
    const problem = templateProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

// The fields without their defaults: an update changes only what it names (with the defaults,
// a partial update such as "rotate the static password" reset every other field).
const profileFields = {
  name: z.string().trim().min(1, "name is required").max(100),
  challengeType: z.enum(CHALLENGE_TYPES),
  subjectTemplate,
  keySize: z.union([z.literal(2048), z.literal(4096)]),
  /** Apple's mask: 1 = digital signature, 4 = key encipherment (5 = both). */
  keyUsage: z.union([z.literal(0), z.literal(1), z.literal(4), z.literal(5)]),
  validityDays: z.number().int().min(1).max(3650),
  renewalWindowDays: z.number().int().min(0).max(365),
  nonExportable: z.boolean(),
  allowAllAppsAccess: z.boolean(),
  /** STATIC only; generated when absent. Weak values (short, common words, little variety) are refused. */
  staticChallenge: z
    .string()
    .max(255, "the static password may be at most 255 characters (PKCS#9 challengePassword)")
    .superRefine((value, ctx) => {
      const problem = staticChallengeProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: `the static password ${problem}` });
    }),
  /** NDES only: unused challenges the challenge URL keeps before "password cache is full". */
  ndesCacheSize: z.number().int().min(1, "must be at least 1").max(NDES_MAX_CACHE_SIZE, `may be at most ${NDES_MAX_CACHE_SIZE}`),
  /** NDES only: the HTTP user name for the challenge URL; generated when absent. */
  ndesUsername: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[^:\s]+$/, "ndesUsername may not contain ':' or spaces"),
};

export const scepProfileInputSchema = z.object({
  ...profileFields,
  subjectTemplate: profileFields.subjectTemplate.default("CN=$UDID"),
  keySize: profileFields.keySize.default(2048),
  keyUsage: profileFields.keyUsage.default(5),
  validityDays: profileFields.validityDays.default(365),
  renewalWindowDays: profileFields.renewalWindowDays.default(30),
  nonExportable: profileFields.nonExportable.default(true),
  allowAllAppsAccess: profileFields.allowAllAppsAccess.default(false),
  staticChallenge: profileFields.staticChallenge.optional(),
  ndesCacheSize: profileFields.ndesCacheSize.default(NDES_DEFAULT_CACHE_SIZE),
  ndesUsername: profileFields.ndesUsername.optional(),
});

export const scepProfileUpdateSchema = z.object(profileFields).partial().extend({
  /** STATIC: set a new password, or true to generate one. */
  rotateStaticChallenge: z.boolean().optional(),
});

/** What admins and other modules see: never the sealed/hashed secrets. */
export interface ScepProfileView {
  id: string;
  name: string;
  challengeType: ChallengeKind;
  subjectTemplate: string;
  keySize: number;
  keyUsage: number;
  validityDays: number;
  renewalWindowDays: number;
  nonExportable: boolean;
  allowAllAppsAccess: boolean;
  /** The SCEP URL to put into profiles (no query string). */
  url: string;
  /** NDES only: the challenge URL (HTTP basic auth with ndesUsername). */
  challengeUrl: string | null;
  ndesUsername: string | null;
  /** NDES: how many unused challenges the challenge URL keeps (NDES's default is 5). */
  ndesCacheSize: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreatedScepProfile {
  profile: ScepProfileView;
  /** STATIC: the shared password (also readable later with getStaticChallenge). */
  staticChallenge?: string;
  /** NDES: the challenge URL credentials; the password is shown only now. */
  ndesUsername?: string;
  ndesPassword?: string;
}

export function ndesChallengeUrl(profileId: string): string {
  return `${config().publicUrl}/ndes/${encodeURIComponent(profileId)}`;
}

export function toView(row: ScepProfile): ScepProfileView {
  return {
    id: row.id,
    name: row.name,
    challengeType: row.challengeType as ChallengeKind,
    subjectTemplate: row.subjectTemplate,
    keySize: row.keySize,
    keyUsage: row.keyUsage,
    validityDays: row.validityDays,
    renewalWindowDays: row.renewalWindowDays,
    nonExportable: row.nonExportable,
    allowAllAppsAccess: row.allowAllAppsAccess,
    url: scepUrl(row.id),
    challengeUrl: row.challengeType === "NDES" ? ndesChallengeUrl(row.id) : null,
    ndesUsername: row.challengeType === "NDES" ? row.ndesUsername : null,
    ndesCacheSize: row.ndesCacheSize,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function generatedPassword(): string {
  // 24 characters from an unambiguous alphabet; ~140 bits.
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  return Array.from(crypto.randomBytes(24), (b) => alphabet[b % alphabet.length]).join("");
}

function parse<T>(schema: z.ZodType<T>, raw: unknown): T {
  const result = schema.safeParse(raw);
  if (!result.success) throw invalidInput("invalid_scep_profile", result.error);
  return result.data;
}

export async function createScepProfile(raw: unknown): Promise<CreatedScepProfile> {
  const input = parse(scepProfileInputSchema, raw);
  const out: Omit<CreatedScepProfile, "profile"> = {};
  let staticChallengeEnc: string | null = null;
  let ndesUsername: string | null = null;
  let ndesPasswordHash: string | null = null;
  if (input.challengeType === "STATIC") {
    out.staticChallenge = input.staticChallenge ?? generatedPassword();
    staticChallengeEnc = seal(out.staticChallenge, SEAL_CONTEXT);
  } else if (input.staticChallenge) {
    throw badRequest("invalid_scep_profile", "staticChallenge: only for the STATIC challenge type");
  }
  if (input.challengeType === "NDES") {
    ndesUsername = input.ndesUsername ?? `scep-${crypto.randomBytes(4).toString("hex")}`;
    out.ndesUsername = ndesUsername;
    out.ndesPassword = generatedPassword();
    ndesPasswordHash = await hashPassword(out.ndesPassword);
  }
  try {
    const row = await db().scepProfile.create({
      data: {
        name: input.name,
        challengeType: input.challengeType,
        subjectTemplate: input.subjectTemplate,
        keySize: input.keySize,
        keyUsage: input.keyUsage,
        validityDays: input.validityDays,
        renewalWindowDays: input.renewalWindowDays,
        nonExportable: input.nonExportable,
        allowAllAppsAccess: input.allowAllAppsAccess,
        staticChallengeEnc,
        ndesUsername,
        ndesPasswordHash,
        ndesCacheSize: input.ndesCacheSize,
      },
    });
    return { profile: toView(row), ...out };
  } catch (err) {
    if (isUniqueViolation(err)) throw fieldError("scep_profile_exists", "name", `a SCEP profile named "${input.name}" already exists`, 409);
    throw err;
  }
}

/** For STATIC profiles the admin API also shows the shared password (it is in every profile anyway). */
export type ScepProfileWithSecret = ScepProfileView & { staticChallenge?: string };

function withSecret(row: ScepProfile, include: boolean): ScepProfileWithSecret {
  const view: ScepProfileWithSecret = toView(row);
  if (include && row.challengeType === "STATIC") {
    const value = unsealStaticChallenge(row);
    if (value) view.staticChallenge = value;
  }
  return view;
}

export async function listScepProfiles(opts: { includeStaticChallenge?: boolean } = {}): Promise<ScepProfileWithSecret[]> {
  const rows = await db().scepProfile.findMany({ orderBy: { name: "asc" } });
  return rows.map((r) => withSecret(r, Boolean(opts.includeStaticChallenge)));
}

export async function getScepProfile(id: string, opts: { includeStaticChallenge?: boolean } = {}): Promise<ScepProfileWithSecret | null> {
  if (!id || id.length > 100) return null;
  const row = await db().scepProfile.findUnique({ where: { id } });
  return row ? withSecret(row, Boolean(opts.includeStaticChallenge)) : null;
}

/** getScepProfile or a 404 (for routes). */
export async function requireScepProfile(id: string, opts: { includeStaticChallenge?: boolean } = {}): Promise<ScepProfileWithSecret> {
  const found = await getScepProfile(id, opts);
  if (!found) throw notFound("SCEP profile");
  return found;
}

/** The stored row (with sealed secrets) for the SCEP service. */
export async function getScepProfileRow(id: string): Promise<ScepProfile | null> {
  if (!id || id.length > 100) return null;
  return db().scepProfile.findUnique({ where: { id } });
}

/** The STATIC profile's shared password, unsealed (it is embedded in every profile). */
export async function getStaticChallenge(id: string): Promise<string | null> {
  const row = await db().scepProfile.findUnique({ where: { id }, select: { staticChallengeEnc: true } });
  return row?.staticChallengeEnc ? unseal(row.staticChallengeEnc, SEAL_CONTEXT) : null;
}

export function unsealStaticChallenge(row: Pick<ScepProfile, "staticChallengeEnc">): string | null {
  return row.staticChallengeEnc ? unseal(row.staticChallengeEnc, SEAL_CONTEXT) : null;
}

export async function updateScepProfile(id: string, raw: unknown): Promise<CreatedScepProfile> {
  const input = parse(scepProfileUpdateSchema, raw);
  const existing = await db().scepProfile.findUnique({ where: { id } });
  if (!existing) throw notFound("SCEP profile");
  const type = input.challengeType ?? (existing.challengeType as ChallengeKind);
  const out: Omit<CreatedScepProfile, "profile"> = {};
  const data: Record<string, unknown> = {};
  for (const key of ["name", "subjectTemplate", "keySize", "keyUsage", "validityDays", "renewalWindowDays", "nonExportable", "allowAllAppsAccess", "ndesCacheSize"] as const) {
    if (input[key] !== undefined) data[key] = input[key];
  }
  data.challengeType = type;
  if (type === "STATIC") {
    if (input.staticChallenge || input.rotateStaticChallenge || !existing.staticChallengeEnc) {
      out.staticChallenge = input.staticChallenge ?? generatedPassword();
      data.staticChallengeEnc = seal(out.staticChallenge, SEAL_CONTEXT);
    }
  } else {
    if (input.staticChallenge) throw badRequest("invalid_scep_profile", "staticChallenge: only for the STATIC challenge type");
    data.staticChallengeEnc = null;
  }
  if (type === "NDES") {
    if (input.ndesUsername) data.ndesUsername = input.ndesUsername;
    if (!existing.ndesPasswordHash) {
      data.ndesUsername = input.ndesUsername ?? existing.ndesUsername ?? `scep-${crypto.randomBytes(4).toString("hex")}`;
      out.ndesUsername = data.ndesUsername as string;
      out.ndesPassword = generatedPassword();
      data.ndesPasswordHash = await hashPassword(out.ndesPassword);
    }
  } else {
    data.ndesUsername = null;
    data.ndesPasswordHash = null;
  }
  try {
    const row = await db().scepProfile.update({ where: { id }, data });
    return { profile: toView(row), ...out };
  } catch (err) {
    if (isUniqueViolation(err)) throw fieldError("scep_profile_exists", "name", `a SCEP profile named "${String(data.name)}" already exists`, 409);
    throw err;
  }
}

export async function deleteScepProfile(id: string): Promise<void> {
  const { count } = await db().scepProfile.deleteMany({ where: { id } });
  if (count === 0) throw notFound("SCEP profile");
}

/** NDES: a new challenge-URL password, returned once. */
export async function resetNdesPassword(id: string): Promise<{ ndesUsername: string; ndesPassword: string }> {
  const existing = await db().scepProfile.findUnique({ where: { id } });
  if (!existing) throw notFound("SCEP profile");
  if (existing.challengeType !== "NDES") throw badRequest("not_ndes", "this SCEP profile does not use the NDES challenge type");
  const ndesPassword = generatedPassword();
  const ndesUsername = existing.ndesUsername ?? `scep-${crypto.randomBytes(4).toString("hex")}`;
  await db().scepProfile.update({ where: { id }, data: { ndesUsername, ndesPasswordHash: await hashPassword(ndesPassword) } });
  return { ndesUsername, ndesPassword };
}
