// External SCEP profiles: a CA we do not run. Saving one checks the URL with GetCACaps and
// GetCACert and pins the CA only when the admin confirms (or pasted) its fingerprint. Secrets
// (static challenge, challenge-URL password) are sealed at rest and returned only on creation.
import crypto from "node:crypto";
import { z } from "zod";
import { db, isUniqueViolation } from "../../db/client";
import type { ExternalScepProfile } from "../../db/generated/sqlite/client";
import { AppError, badRequest, conflict, invalidInput, notFound } from "../../errors";
import { writeEnrollmentLog } from "../../log/enrollmentLog";
import { seal, unseal } from "../../secrets/sealed";
import { templateProblem } from "../subject";
import { bundleFromPem, bundlePem, ExternalScepError, fetchCaBundle, normaliseFingerprint, scepUrlProblem, type CaBundle } from "./caCerts";
import { fetchChallenge, type ChallengeFetchResult } from "./challengeFetch";

export type { ExternalScepProfile };

import { CHALLENGE_SOURCES, type ChallengeSource } from "./challengeSources";

export { CHALLENGE_SOURCES, type ChallengeSource };

const STATIC_CONTEXT = "scep:external:static";
const PASSWORD_CONTEXT = "scep:external:challenge-password";

const template = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .superRefine((value, ctx) => {
    const problem = templateProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const sanTemplate = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .regex(/^[^\s]+$/, "no spaces");

const httpUrl = z
  .string()
  .trim()
  .max(2048)
  .superRefine((value, ctx) => {
    const problem = scepUrlProblem(value.split("?")[0]) ?? (/^https?:\/\//.test(value) ? null : "must be http or https");
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** Each field once; the create schema adds defaults, the PATCH schema makes them optional. */
const fields = {
  name: z.string().trim().min(1, "name is required").max(100),
  scepUrl: z
    .string()
    .trim()
    .max(2048)
    .superRefine((value, ctx) => {
      const problem = scepUrlProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  /** The CA's SHA-256 or SHA-1 fingerprint as shown by the probe or pasted from the CA's console. */
  caFingerprint: z.string().trim().min(40).max(100),
  challengeSource: z.enum(CHALLENGE_SOURCES),
  staticChallenge: z.string().regex(/^[\x21-\x7e]{1,255}$/, "printable ASCII without spaces"),
  /** NDES: the mscep_admin URL (it may carry a query string); GENERIC: the challenge endpoint. */
  challengeUrl: httpUrl,
  challengeUsername: z
    .string()
    .max(256)
    .regex(/^[^:]*$/, "may not contain ':'"),
  challengePassword: z.string().max(1024),
  challengeJsonField: z
    .string()
    .trim()
    .max(100)
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "a field name or dotted path"),
  subjectTemplate: template,
  subjectAltName: z.object({ ntPrincipalName: sanTemplate.optional(), rfc822Name: sanTemplate.optional(), dNSName: sanTemplate.optional() }).strict(),
  keySize: z.union([z.literal(2048), z.literal(4096)]),
  /** Apple's mask: 1 = digital signature (seed 002's case), 4 = key encipherment, 5 = both. */
  keyUsage: z.union([z.literal(0), z.literal(1), z.literal(4), z.literal(5)]),
  nonExportable: z.boolean(),
  allowAllAppsAccess: z.boolean(),
};

const baseSchema = z.object({
  name: fields.name,
  scepUrl: fields.scepUrl,
  caFingerprint: fields.caFingerprint,
  challengeSource: fields.challengeSource.default("NONE"),
  staticChallenge: fields.staticChallenge.optional(),
  challengeUrl: fields.challengeUrl.optional(),
  challengeUsername: fields.challengeUsername.optional(),
  challengePassword: fields.challengePassword.optional(),
  challengeJsonField: fields.challengeJsonField.optional(),
  subjectTemplate: fields.subjectTemplate.default("CN=$UDID"),
  subjectAltName: fields.subjectAltName.optional(),
  keySize: fields.keySize.default(2048),
  keyUsage: fields.keyUsage.default(1),
  nonExportable: fields.nonExportable.default(true),
  allowAllAppsAccess: fields.allowAllAppsAccess.default(true),
});

interface SourceFields {
  staticChallenge?: string | null;
  challengeUrl?: string | null;
  challengeUsername?: string | null;
  challengePassword?: string | null;
  challengeJsonField?: string | null;
}

/**
 * Which fields the challenge source needs and allows. `given`: what this request sends;
 * `kept`: what the stored profile already has (an edit need not send a secret again).
 */
function sourceProblems(source: ChallengeSource, given: SourceFields, kept: { staticChallenge: boolean; challengeUrl: boolean } = { staticChallenge: false, challengeUrl: false }): [string, string][] {
  const out: [string, string][] = [];
  const dynamic = source === "NDES" || source === "GENERIC";
  const has = (v: unknown) => v !== undefined && v !== null && v !== "";
  if (source === "STATIC" && !has(given.staticChallenge) && !kept.staticChallenge) out.push(["staticChallenge", "required for STATIC"]);
  if (source !== "STATIC" && has(given.staticChallenge)) out.push(["staticChallenge", "only for STATIC"]);
  if (dynamic && !has(given.challengeUrl) && !kept.challengeUrl) out.push(["challengeUrl", "required for NDES and GENERIC"]);
  if (!dynamic && has(given.challengeUrl)) out.push(["challengeUrl", "only for NDES and GENERIC"]);
  if (!dynamic && (given.challengeUsername !== undefined || given.challengePassword !== undefined)) out.push(["challengeUsername", "only for NDES and GENERIC"]);
  if (source !== "GENERIC" && has(given.challengeJsonField)) out.push(["challengeJsonField", "only for GENERIC"]);
  return out;
}

export const externalScepProfileInputSchema = baseSchema.superRefine((v, ctx) => {
  for (const [path, message] of sourceProblems(v.challengeSource, v)) ctx.addIssue({ code: "custom", path: [path], message });
});

export interface ExternalScepProfileView {
  id: string;
  kind: "EXTERNAL";
  name: string;
  scepUrl: string;
  ca: { subject: string; sha256: string; sha1: string; certificates: number };
  challengeSource: ChallengeSource;
  challengeUrl: string | null;
  challengeUsername: string | null;
  challengeJsonField: string | null;
  hasChallengePassword: boolean;
  subjectTemplate: string;
  subjectAltName: Record<string, string> | null;
  keySize: number;
  keyUsage: number;
  nonExportable: boolean;
  allowAllAppsAccess: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export function toView(row: ExternalScepProfile): ExternalScepProfileView {
  const certs = bundleFromPem(row.caCertsPem);
  const top = certs.find((c) => crypto.createHash("sha256").update(c).digest("hex") === row.caFingerprintSha256);
  return {
    id: row.id,
    kind: "EXTERNAL",
    name: row.name,
    scepUrl: row.scepUrl,
    ca: { subject: top ? new crypto.X509Certificate(top).subject.replace(/\n/g, ", ") : "", sha256: row.caFingerprintSha256, sha1: row.caFingerprintSha1, certificates: certs.length },
    challengeSource: row.challengeSource as ChallengeSource,
    challengeUrl: row.challengeUrl,
    challengeUsername: row.challengeUsername,
    challengeJsonField: row.challengeJsonField,
    hasChallengePassword: row.challengePasswordEnc !== null,
    subjectTemplate: row.subjectTemplate,
    subjectAltName: row.subjectAltNameJson ? (JSON.parse(row.subjectAltNameJson) as Record<string, string>) : null,
    keySize: row.keySize,
    keyUsage: row.keyUsage,
    nonExportable: row.nonExportable,
    allowAllAppsAccess: row.allowAllAppsAccess,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export interface ProbeResult {
  caps: string[];
  ca: { subject: string; issuer: string; notAfter: Date; sha256: string; sha1: string };
  certificates: number;
}

function externalError(err: unknown, scepUrl: string): AppError {
  if (err instanceof ExternalScepError) return new AppError(err.kind === "unreachable" ? 502 : 422, `external_scep_${err.kind}`, `${scepUrl}: ${err.message}`);
  throw err;
}

/** GetCACaps + GetCACert, for the admin to confirm the fingerprint before saving. */
export async function probeExternalScep(rawUrl: unknown): Promise<ProbeResult> {
  const url = typeof rawUrl === "string" ? rawUrl.trim() : "";
  const problem = scepUrlProblem(url);
  if (problem) throw badRequest("invalid_scep_url", `scepUrl ${problem}`);
  let bundle: CaBundle;
  try {
    bundle = await fetchCaBundle(url);
  } catch (err) {
    await writeEnrollmentLog({ step: "external_scep", outcome: "ERROR", reason: "external_scep_unreachable", message: `External SCEP ${url}: ${(err as Error).message}` });
    throw externalError(err, url);
  }
  const { der: _der, ...ca } = bundle.ca;
  return { caps: bundle.caps, ca, certificates: bundle.certificates.length };
}

/** Fetches the CA and checks it against the fingerprint the admin confirmed. */
async function pinnedBundle(scepUrl: string, expected: string, profileName: string): Promise<CaBundle> {
  let bundle: CaBundle;
  try {
    bundle = await fetchCaBundle(scepUrl);
  } catch (err) {
    await writeEnrollmentLog({ step: "external_scep", outcome: "ERROR", reason: "external_scep_unreachable", message: `External SCEP profile "${profileName}": ${(err as Error).message}` });
    throw externalError(err, scepUrl);
  }
  const want = normaliseFingerprint(expected);
  const match = [bundle.ca.sha256, bundle.ca.sha1].some((fp) => fp.length === want.length && crypto.timingSafeEqual(Buffer.from(fp), Buffer.from(want)));
  if (!match) {
    await writeEnrollmentLog({
      step: "external_scep",
      outcome: "ERROR",
      reason: "external_ca_fingerprint_mismatch",
      message: `External SCEP profile "${profileName}": GetCACert's CA "${bundle.ca.subject}" has SHA-256 ${bundle.ca.sha256}, not the expected ${want}`,
    });
    throw conflict("ca_fingerprint_mismatch", `GetCACert returned a CA with SHA-256 fingerprint ${bundle.ca.sha256} (SHA-1 ${bundle.ca.sha1}), not the expected ${want}`);
  }
  return bundle;
}

function parse<T>(schema: z.ZodType<T>, raw: unknown): T {
  const result = schema.safeParse(raw);
  if (!result.success) throw invalidInput("invalid_external_scep_profile", result.error);
  return result.data;
}

export interface CreatedExternalScepProfile {
  profile: ExternalScepProfileView;
}

export async function createExternalScepProfile(raw: unknown): Promise<CreatedExternalScepProfile> {
  const input = parse(externalScepProfileInputSchema, raw);
  const bundle = await pinnedBundle(input.scepUrl, input.caFingerprint, input.name);
  try {
    const row = await db().externalScepProfile.create({
      data: {
        name: input.name,
        scepUrl: input.scepUrl,
        caCertsPem: bundlePem(bundle.certificates),
        caFingerprintSha256: bundle.ca.sha256,
        caFingerprintSha1: bundle.ca.sha1,
        challengeSource: input.challengeSource,
        staticChallengeEnc: input.staticChallenge ? seal(input.staticChallenge, STATIC_CONTEXT) : null,
        challengeUrl: input.challengeUrl ?? null,
        challengeUsername: input.challengeUsername ?? null,
        challengePasswordEnc: input.challengePassword !== undefined ? seal(input.challengePassword, PASSWORD_CONTEXT) : null,
        challengeJsonField: input.challengeJsonField ?? null,
        subjectTemplate: input.subjectTemplate,
        subjectAltNameJson: input.subjectAltName && Object.keys(input.subjectAltName).length ? JSON.stringify(input.subjectAltName) : null,
        keySize: input.keySize,
        keyUsage: input.keyUsage,
        nonExportable: input.nonExportable,
        allowAllAppsAccess: input.allowAllAppsAccess,
      },
    });
    await writeEnrollmentLog({ step: "external_scep", outcome: "OK", message: `External SCEP profile "${row.name}" saved: CA SHA-256 ${row.caFingerprintSha256} pinned` });
    return { profile: toView(row) };
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict("scep_profile_exists", `an external SCEP profile named "${input.name}" already exists`);
    throw err;
  }
}

/** PATCH: every field optional; null clears an optional one. Secrets are replaced, never read back. */
export const externalScepProfilePatchSchema = z
  .object({
    name: fields.name,
    scepUrl: fields.scepUrl,
    caFingerprint: fields.caFingerprint,
    challengeSource: fields.challengeSource,
    staticChallenge: fields.staticChallenge,
    challengeUrl: fields.challengeUrl,
    challengeUsername: fields.challengeUsername.nullable(),
    challengePassword: fields.challengePassword.nullable(),
    challengeJsonField: fields.challengeJsonField.nullable(),
    subjectTemplate: fields.subjectTemplate,
    subjectAltName: fields.subjectAltName.nullable(),
    keySize: fields.keySize,
    keyUsage: fields.keyUsage,
    nonExportable: fields.nonExportable,
    allowAllAppsAccess: fields.allowAllAppsAccess,
  })
  .partial()
  .strict();

/**
 * Edits a profile. A new SCEP URL is checked again with GetCACaps/GetCACert and needs the
 * admin's fingerprint confirmation again (caFingerprint); a fingerprint alone re-pins the
 * CA at the same URL (a renewed CA). Secrets given replace the sealed ones; a challenge
 * source that no longer uses a secret drops it.
 */
export async function updateExternalScepProfile(id: string, raw: unknown): Promise<ExternalScepProfileView> {
  const row = await getExternalScepProfileRow(id);
  if (!row) throw notFound("external SCEP profile");
  const input = parse(externalScepProfilePatchSchema, raw);
  const source = input.challengeSource ?? (row.challengeSource as ChallengeSource);
  const sameSource = source === row.challengeSource;
  const problems = sourceProblems(source, input, { staticChallenge: sameSource && row.staticChallengeEnc !== null, challengeUrl: sameSource && row.challengeUrl !== null });
  if (problems.length) throw badRequest("invalid_external_scep_profile", problems.map(([f, m]) => `${f}: ${m}`).join("; "));
  const urlChanged = input.scepUrl !== undefined && input.scepUrl !== row.scepUrl;
  if (urlChanged && !input.caFingerprint) {
    throw badRequest("ca_fingerprint_required", "caFingerprint: a new SCEP URL needs the CA's fingerprint confirmed again (check the URL first, compare with the CA's console)");
  }
  const name = input.name ?? row.name;
  const scepUrl = input.scepUrl ?? row.scepUrl;
  const bundle = input.caFingerprint ? await pinnedBundle(scepUrl, input.caFingerprint, name) : null;
  const dynamic = source === "NDES" || source === "GENERIC";
  const data = {
    name,
    scepUrl,
    ...(bundle ? { caCertsPem: bundlePem(bundle.certificates), caFingerprintSha256: bundle.ca.sha256, caFingerprintSha1: bundle.ca.sha1 } : {}),
    challengeSource: source,
    staticChallengeEnc: source !== "STATIC" ? null : input.staticChallenge ? seal(input.staticChallenge, STATIC_CONTEXT) : row.staticChallengeEnc,
    challengeUrl: dynamic ? (input.challengeUrl ?? row.challengeUrl) : null,
    challengeUsername: dynamic ? (input.challengeUsername !== undefined ? input.challengeUsername : row.challengeUsername) : null,
    challengePasswordEnc: !dynamic
      ? null
      : input.challengePassword === null
        ? null
        : input.challengePassword !== undefined
          ? seal(input.challengePassword, PASSWORD_CONTEXT)
          : row.challengePasswordEnc,
    challengeJsonField: source !== "GENERIC" ? null : input.challengeJsonField !== undefined ? input.challengeJsonField : row.challengeJsonField,
    subjectTemplate: input.subjectTemplate ?? row.subjectTemplate,
    subjectAltNameJson: input.subjectAltName === undefined ? row.subjectAltNameJson : input.subjectAltName && Object.keys(input.subjectAltName).length ? JSON.stringify(input.subjectAltName) : null,
    keySize: input.keySize ?? row.keySize,
    keyUsage: input.keyUsage ?? row.keyUsage,
    nonExportable: input.nonExportable ?? row.nonExportable,
    allowAllAppsAccess: input.allowAllAppsAccess ?? row.allowAllAppsAccess,
  };
  try {
    const updated = await db().externalScepProfile.update({ where: { id }, data });
    // Field names only: never a secret's value.
    const changed = Object.keys(input).filter((k) => k !== "caFingerprint");
    const pin = bundle
      ? bundle.ca.sha256 === row.caFingerprintSha256
        ? `; CA SHA-256 ${bundle.ca.sha256} confirmed`
        : `; CA SHA-256 ${bundle.ca.sha256} now pinned (was ${row.caFingerprintSha256})`
      : "";
    await writeEnrollmentLog({
      step: "external_scep",
      outcome: "OK",
      message: `External SCEP profile "${updated.name}" edited (${changed.join(", ") || "no fields"})${urlChanged ? `; SCEP URL now ${updated.scepUrl}` : ""}${pin}`,
    });
    return toView(updated);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict("scep_profile_exists", `an external SCEP profile named "${name}" already exists`);
    throw err;
  }
}

export async function listExternalScepProfiles(): Promise<ExternalScepProfileView[]> {
  const rows = await db().externalScepProfile.findMany({ orderBy: { name: "asc" } });
  return rows.map(toView);
}

export async function getExternalScepProfileRow(id: string): Promise<ExternalScepProfile | null> {
  if (!id || id.length > 100) return null;
  return db().externalScepProfile.findUnique({ where: { id } });
}

export async function requireExternalScepProfile(id: string): Promise<ExternalScepProfileView> {
  const row = await getExternalScepProfileRow(id);
  if (!row) throw notFound("external SCEP profile");
  return toView(row);
}

export async function deleteExternalScepProfile(id: string): Promise<void> {
  const { count } = await db().externalScepProfile.deleteMany({ where: { id } });
  if (count === 0) throw notFound("external SCEP profile");
}

/** The pinned CA certificates (DER): the check-in trust store adds these, never the system store. */
export function pinnedCertificates(row: Pick<ExternalScepProfile, "caCertsPem">): Uint8Array[] {
  return bundleFromPem(row.caCertsPem);
}

const FETCH_REASONS = {
  unreachable: "external_challenge_unreachable",
  auth_failed: "external_challenge_auth_failed",
  cache_full: "external_challenge_cache_full",
  http_status: "external_challenge_unreachable",
  unparseable: "external_challenge_unparseable",
} as const;

/**
 * The challenge for one device's payload: STATIC unsealed, NDES/GENERIC fetched fresh. Every
 * fetch writes a log line (never the challenge). null challenge = NONE.
 */
export async function challengeFor(
  row: ExternalScepProfile,
  who: { deviceId?: string | null; udid?: string | null; userIdentifier?: string | null } = {},
): Promise<{ ok: true; challenge: string | null } | Extract<ChallengeFetchResult, { ok: false }>> {
  const source = row.challengeSource as ChallengeSource;
  if (source === "NONE") return { ok: true, challenge: null };
  if (source === "STATIC") return { ok: true, challenge: row.staticChallengeEnc ? unseal(row.staticChallengeEnc, STATIC_CONTEXT) : null };
  const result = await fetchChallenge({
    format: source,
    url: row.challengeUrl ?? "",
    username: row.challengeUsername,
    password: row.challengePasswordEnc ? unseal(row.challengePasswordEnc, PASSWORD_CONTEXT) : null,
    jsonField: row.challengeJsonField,
  });
  const base = { step: "external_challenge", deviceIdentifier: who.udid ?? who.deviceId ?? null, userIdentifier: who.userIdentifier ?? null };
  if (result.ok) {
    await writeEnrollmentLog({ ...base, outcome: "OK", message: `External SCEP profile "${row.name}": challenge fetched from ${new URL(row.challengeUrl ?? "").origin}` });
    return { ok: true, challenge: result.challenge };
  }
  await writeEnrollmentLog({ ...base, outcome: "ERROR", reason: FETCH_REASONS[result.kind], message: `External SCEP profile "${row.name}": ${result.detail}` });
  return result;
}

/**
 * GetCACert again for every external profile: a CA that now answers with another certificate
 * (renewed, or a man in the middle on plain http) is logged, since devices holding the pinned
 * CAFingerprint will refuse it. Returns the profiles whose check failed.
 */
export async function recheckPinnedCas(): Promise<string[]> {
  const failed: string[] = [];
  for (const row of await db().externalScepProfile.findMany()) {
    try {
      const bundle = await fetchCaBundle(row.scepUrl);
      if (bundle.ca.sha256 !== row.caFingerprintSha256) {
        failed.push(row.id);
        await writeEnrollmentLog({
          step: "external_scep",
          outcome: "ERROR",
          reason: "external_ca_fingerprint_mismatch",
          message: `External SCEP profile "${row.name}": GetCACert now returns CA "${bundle.ca.subject}" with SHA-256 ${bundle.ca.sha256}, not the pinned ${row.caFingerprintSha256}; devices will refuse it`,
        });
      }
    } catch (err) {
      if (!(err instanceof ExternalScepError)) throw err;
      failed.push(row.id);
      await writeEnrollmentLog({ step: "external_scep", outcome: "ERROR", reason: "external_scep_unreachable", message: `External SCEP profile "${row.name}": ${err.message}` });
    }
  }
  return failed;
}
