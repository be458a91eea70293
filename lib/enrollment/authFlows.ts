// Server-side state across the IdP round trip (protocol notes: what was decided before the
// round trip, such as user vs device enrollment and the typed identifier, must survive it).
// Rows are keyed by the SHA-256 of a random handle that travels as the OAuth `state` (or a
// hidden form field); consuming a row deletes it, so a state is good for one callback only.
// The data (PKCE verifier, nonce) is sealed at rest like every other secret.
import { db } from "../db/client";
import { randomToken, sha256Hex } from "../secrets/hash";
import { seal, unseal } from "../secrets/sealed";
import type { EnrollmentVersion } from "./accessTokens";

export const FLOW_TTL_SECONDS = 15 * 60;
const SEAL_CONTEXT = "adde:auth-flow";

function openSealed<T>(data: string, context: string): T | null {
  try {
    return JSON.parse(unseal(data, context)) as T;
  } catch {
    return null;
  }
}

/**
 * One sealed, expiring row of server-side state in the AuthFlow table, addressed by a hash
 * (`key`). Sign-in flows and account enrollments (accountEnrollments.ts) share it;
 * each seals under its own context, so neither can read the other's rows.
 */
export async function putSealedState(key: string, context: string, row: { userIdentifier: string | null; version: string; data: unknown; ttlSeconds: number }): Promise<void> {
  await db().authFlow.create({
    data: {
      stateHash: key,
      userIdentifier: row.userIdentifier,
      version: row.version,
      data: seal(JSON.stringify(row.data), context),
      expiresAt: new Date(Date.now() + row.ttlSeconds * 1000),
    },
  });
}

/** The row's data without consuming it; null when unknown, expired or unreadable. */
export async function readSealedState<T>(key: string, context: string): Promise<T | null> {
  const row = await db().authFlow.findUnique({ where: { stateHash: key } });
  if (!row || row.expiresAt.getTime() <= Date.now()) return null;
  return openSealed<T>(row.data, context);
}

export interface IdpLeg {
  codeVerifier: string;
  nonce: string;
}

export interface SimpleFlow {
  kind: "simple";
  version: EnrollmentVersion;
  /** The identifier the device typed; null when the page was opened without one (IdP decides). */
  identifier: string | null;
  idp?: IdpLeg;
  /** The terms version (SHA-256) ticked on the sign-in page, carried across the IdP round trip. */
  acceptedTerms?: string | null;
}

export interface OAuthFlow {
  kind: "oauth";
  version: EnrollmentVersion;
  identifier: string | null;
  clientId: string;
  redirectUri: string;
  /** Null when the client sent no PKCE (Apple's client never does). */
  codeChallenge: string | null;
  state: string | null;
  scope: string;
  idp?: IdpLeg;
  acceptedTerms?: string | null;
}

export type FlowData = SimpleFlow | OAuthFlow;

/** Stores the flow; returns the handle (shown once: state parameter or hidden field). */
export async function createFlow(data: FlowData, ttlSeconds = FLOW_TTL_SECONDS): Promise<string> {
  const handle = randomToken(32);
  // Abandoned sign-ins leave rows behind; sweep expired ones as new flows start.
  await db().authFlow.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  await putSealedState(sha256Hex(handle), SEAL_CONTEXT, { userIdentifier: data.identifier, version: data.version, data, ttlSeconds });
  return handle;
}

function plausibleHandle(handle: string | null | undefined): handle is string {
  return typeof handle === "string" && /^[A-Za-z0-9_-]{20,100}$/.test(handle);
}

/** Reads a live flow without consuming it (the sign-in page, a failed password attempt). */
export async function peekFlow(handle: string | null | undefined): Promise<FlowData | null> {
  if (!plausibleHandle(handle)) return null;
  return readSealedState<FlowData>(sha256Hex(handle), SEAL_CONTEXT);
}

/** Takes the flow out (exactly one caller wins); null when unknown, expired or already used. */
export async function consumeFlow(handle: string | null | undefined): Promise<FlowData | null> {
  if (!plausibleHandle(handle)) return null;
  const stateHash = sha256Hex(handle);
  const row = await db().authFlow.findUnique({ where: { stateHash } });
  if (!row) return null;
  const { count } = await db().authFlow.deleteMany({ where: { stateHash } });
  if (count !== 1 || row.expiresAt.getTime() <= Date.now()) return null;
  return openSealed<FlowData>(row.data, SEAL_CONTEXT);
}
