// People who enroll through account-driven enrollment, keyed by the identifier they type on
// the device (user@domain), and the admin-maintained mapping to their Managed Apple Account.
import { z } from "zod";
import { db } from "../db/client";
import { badRequest, invalidInput } from "../errors";
import { hashPassword } from "../secrets/hash";

export interface ParsedIdentifier {
  identifier: string;
  user: string;
  domain: string;
}

// A fully qualified domain name: at least two dot-separated labels of letters, digits and hyphens.
const FQDN = /^(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Splits a user identifier the way the device does (seed 003 step 1: at the last "@"), and
 * normalises it to lower case so one person is one User row. Null when it is not user@FQDN.
 */
export function parseIdentifier(raw: string | null | undefined): ParsedIdentifier | null {
  if (!raw) return null;
  const identifier = raw.trim().toLowerCase();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (identifier.length > 320 || /[\s\x00-\x1f]/.test(identifier)) return null;
  const at = identifier.lastIndexOf("@");
  if (at <= 0) return null;
  const user = identifier.slice(0, at);
  const domain = identifier.slice(at + 1).replace(/\.$/, "");
  if (!FQDN.test(domain)) return null;
  return { identifier: `${user}@${domain}`, user, domain };
}

export function normalizeIdentifier(raw: string): string {
  return parseIdentifier(raw)?.identifier ?? raw.trim().toLowerCase();
}

/** The Managed Apple Account for the profile: the admin mapping, else (federated) the identifier. */
export function managedAppleIdFor(user: { identifier: string; managedAppleId: string | null }): string {
  return user.managedAppleId ?? user.identifier;
}

/**
 * Finds or creates the user after a successful sign-in, recording the IdP subject (a local
 * password hash kept in the same column is left alone).
 */
export async function upsertSignedInUser(identifier: string, info: { idpSubject?: string | null; displayName?: string | null } = {}) {
  const id = normalizeIdentifier(identifier);
  const existing = await db().user.findUnique({ where: { identifier: id } });
  if (!existing) {
    return db().user.create({ data: { identifier: id, idpSubject: info.idpSubject ?? null, displayName: info.displayName ?? null } });
  }
  const data: { idpSubject?: string; displayName?: string } = {};
  if (info.idpSubject && !isLocalPasswordSubject(existing.idpSubject)) data.idpSubject = info.idpSubject;
  if (info.displayName && !existing.displayName) data.displayName = info.displayName;
  return Object.keys(data).length ? db().user.update({ where: { id: existing.id }, data }) : existing;
}

export interface UserUpdate {
  managedAppleId?: string | null;
  displayName?: string | null;
  /** Local sign-in password (set by an admin); null removes it. */
  password?: string | null;
}

const LOCAL_PASSWORD_PREFIX = "local:";

/**
 * Local users (config().localUserSignIn) are User rows with a password an admin set through
 * the API. The hash lives in idpSubject with a "local:" prefix, so no schema change is needed
 * and an IdP subject can never be mistaken for a password hash.
 */
export function localPasswordHash(user: { idpSubject: string | null }): string | null {
  return user.idpSubject?.startsWith(LOCAL_PASSWORD_PREFIX) ? user.idpSubject.slice(LOCAL_PASSWORD_PREFIX.length) : null;
}

export function isLocalPasswordSubject(subject: string | null | undefined): boolean {
  return !!subject && subject.startsWith(LOCAL_PASSWORD_PREFIX);
}

const userUpdateSchema = z
  .object({
    managedAppleId: z.string().trim().max(320).nullable().optional(),
    displayName: z.string().trim().max(200).nullable().optional(),
    password: z.string().max(1000).nullable().optional(),
  })
  .strict();

/** Creates or updates a user (admin API: PUT /api/v1/users/{identifier}). */
export async function putUser(rawIdentifier: string, raw: unknown) {
  const checked = userUpdateSchema.safeParse(raw);
  if (!checked.success) throw invalidInput("invalid_user", checked.error);
  const update: UserUpdate = checked.data;
  const parsed = parseIdentifier(rawIdentifier);
  if (!parsed) throw badRequest("invalid_identifier", "the user identifier must look like user@domain.example");
  if (update.managedAppleId !== undefined && update.managedAppleId !== null && !parseIdentifier(update.managedAppleId)) {
    throw badRequest("invalid_managed_apple_id", "managedAppleId must look like user@domain.example");
  }
  if (update.password !== undefined && update.password !== null && update.password.length < 8) {
    throw badRequest("weak_password", "a local password needs at least 8 characters");
  }
  const data: { managedAppleId?: string | null; displayName?: string | null; idpSubject?: string | null } = {};
  if (update.managedAppleId !== undefined) data.managedAppleId = update.managedAppleId === null ? null : normalizeIdentifier(update.managedAppleId);
  if (update.displayName !== undefined) data.displayName = update.displayName;
  if (update.password !== undefined) data.idpSubject = update.password === null ? null : LOCAL_PASSWORD_PREFIX + (await hashPassword(update.password));
  const existing = await db().user.findUnique({ where: { identifier: parsed.identifier } });
  const row = existing ? await db().user.update({ where: { id: existing.id }, data }) : await db().user.create({ data: { identifier: parsed.identifier, ...data } });
  return { user: presentUser(row), created: !existing };
}

export function presentUser(row: {
  id: string;
  identifier: string;
  managedAppleId: string | null;
  displayName: string | null;
  idpSubject: string | null;
  tokensRevokedAt: Date | null;
  createdAt: Date;
}) {
  return {
    id: row.id,
    identifier: row.identifier,
    managedAppleId: managedAppleIdFor(row),
    managedAppleIdMapped: row.managedAppleId !== null,
    displayName: row.displayName,
    localSignIn: localPasswordHash(row) !== null,
    tokensRevokedAt: row.tokensRevokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function getUser(rawIdentifier: string) {
  const row = await db().user.findUnique({ where: { identifier: normalizeIdentifier(rawIdentifier) } });
  return row ? presentUser(row) : null;
}
