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

function open(data: string): FlowData | null {
  try {
    return JSON.parse(unseal(data, SEAL_CONTEXT)) as FlowData;
  } catch {
    return null;
  }
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
}

export interface OAuthFlow {
  kind: "oauth";
  version: EnrollmentVersion;
  identifier: string | null;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  state: string | null;
  scope: string;
  idp?: IdpLeg;
}

export type FlowData = SimpleFlow | OAuthFlow;

/** Stores the flow; returns the handle (shown once: state parameter or hidden field). */
export async function createFlow(data: FlowData, ttlSeconds = FLOW_TTL_SECONDS): Promise<string> {
  const handle = randomToken(32);
  const now = Date.now();
  // Abandoned sign-ins leave rows behind; sweep expired ones as new flows start.
  await db().authFlow.deleteMany({ where: { expiresAt: { lt: new Date(now) } } });
  await db().authFlow.create({
    data: {
      stateHash: sha256Hex(handle),
      userIdentifier: data.identifier,
      version: data.version,
      data: seal(JSON.stringify(data), SEAL_CONTEXT),
      expiresAt: new Date(now + ttlSeconds * 1000),
    },
  });
  return handle;
}

function plausibleHandle(handle: string | null | undefined): handle is string {
  return typeof handle === "string" && /^[A-Za-z0-9_-]{20,100}$/.test(handle);
}

/** Reads a live flow without consuming it (the sign-in page, a failed password attempt). */
export async function peekFlow(handle: string | null | undefined): Promise<FlowData | null> {
  if (!plausibleHandle(handle)) return null;
  const row = await db().authFlow.findUnique({ where: { stateHash: sha256Hex(handle) } });
  if (!row || row.expiresAt.getTime() <= Date.now()) return null;
  return open(row.data);
}

/** Takes the flow out (exactly one caller wins); null when unknown, expired or already used. */
export async function consumeFlow(handle: string | null | undefined): Promise<FlowData | null> {
  if (!plausibleHandle(handle)) return null;
  const stateHash = sha256Hex(handle);
  const row = await db().authFlow.findUnique({ where: { stateHash } });
  if (!row) return null;
  const { count } = await db().authFlow.deleteMany({ where: { stateHash } });
  if (count !== 1 || row.expiresAt.getTime() <= Date.now()) return null;
  return open(row.data);
}
