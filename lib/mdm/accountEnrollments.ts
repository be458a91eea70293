// What an account-driven enroll request told us about the device (LANGUAGE, PRODUCT,
// VERSION — seed 003), kept server-side until the device's Authenticate, which finds it
// through the enrollment reference in the check-in URL (enrollmentRef.ts, kind "a").
//
// Stored in the AuthFlow table (short-lived, sealed server-side state keyed by a hash) so
// no schema change is needed. The key is the SHA-256 of a namespaced string, so no OAuth
// state or sign-in handle can ever address these rows, and the data is sealed under its
// own context, so authFlows.ts could not read them either. Expired rows go with the sweep
// createFlow runs.
import { db } from "../db/client";
import type { EnrollmentVersion } from "../enrollment/accessTokens";
import { randomToken, sha256Hex } from "../secrets/hash";
import { seal, unseal } from "../secrets/sealed";

const SEAL_CONTEXT = "adde:account-enrollment";
/** Long enough for a profile that waits in Settings a few days before the user installs it. */
export const ACCOUNT_ENROLLMENT_TTL_SECONDS = 14 * 24 * 3600;

export interface AccountEnrollmentInfo {
  userId: string;
  version: EnrollmentVersion;
  /** The enroll request's PRODUCT (e.g. iPhone17,2), VERSION (OS build, e.g. 23A300) and LANGUAGE. */
  product: string;
  buildVersion: string;
  language: string | null;
}

export interface AccountEnrollment extends AccountEnrollmentInfo {
  id: string;
}

const keyOf = (id: string) => sha256Hex(`account-enrollment:${id}`);

/** Records one enroll request; returns the id the enrollment reference carries. */
export async function recordAccountEnrollment(info: AccountEnrollmentInfo & { userIdentifier: string }, ttlSeconds = ACCOUNT_ENROLLMENT_TTL_SECONDS): Promise<string> {
  const id = randomToken(18);
  const data: AccountEnrollmentInfo = { userId: info.userId, version: info.version, product: info.product, buildVersion: info.buildVersion, language: info.language };
  await db().authFlow.create({
    data: {
      stateHash: keyOf(id),
      userIdentifier: info.userIdentifier,
      version: info.version,
      data: seal(JSON.stringify(data), SEAL_CONTEXT),
      expiresAt: new Date(Date.now() + ttlSeconds * 1000),
    },
  });
  return id;
}

/** The recorded enroll request, or null when unknown or expired. Not consumed: Authenticate may repeat. */
export async function findAccountEnrollment(id: string): Promise<AccountEnrollment | null> {
  const row = await db().authFlow.findUnique({ where: { stateHash: keyOf(id) } });
  if (!row || row.expiresAt.getTime() <= Date.now()) return null;
  try {
    return { id, ...(JSON.parse(unseal(row.data, SEAL_CONTEXT)) as AccountEnrollmentInfo) };
  } catch {
    return null;
  }
}
