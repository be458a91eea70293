// What an account-driven enroll request told us about the device (LANGUAGE, PRODUCT,
// VERSION — seed 003), kept server-side until the device's Authenticate, which finds it
// through the enrollment reference in the check-in URL (enrollmentRef.ts, kind "a").
//
// Stored in the AuthFlow table (short-lived, sealed server-side state keyed by a hash) so
// no schema change is needed. The key is the SHA-256 of a namespaced string, so no OAuth
// state or sign-in handle can ever address these rows, and the data is sealed under its
// own context, so authFlows.ts could not read them either. Expired rows go with the sweep
// createFlow runs.
import type { EnrollmentVersion } from "./accessTokens";
import { putSealedState, readSealedState } from "./authFlows";
import { modelFamilyOfProduct } from "./routes";
import { randomToken, sha256Hex } from "../secrets/hash";

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
  await putSealedState(keyOf(id), SEAL_CONTEXT, { userIdentifier: info.userIdentifier, version: info.version, data, ttlSeconds });
  return id;
}

/** The recorded enroll request, or null when unknown or expired. Not consumed: Authenticate may repeat. */
export async function findAccountEnrollment(id: string): Promise<AccountEnrollment | null> {
  const info = await readSealedState<AccountEnrollmentInfo>(keyOf(id), SEAL_CONTEXT);
  return info ? { id, ...info } : null;
}

/**
 * Whether an account-driven enrollment is a Mac's, whose device channel carries no access
 * token (macOS sends it on the user channel only). Decided by the enroll request's PRODUCT,
 * which the device sent with its access token and the server recorded; the check-in's own
 * ProductName can only veto it, so no message turns an iPhone's enrollment into a Mac's.
 */
export function isMacEnrollment(account: AccountEnrollment | null, claimedProduct: string | null): boolean {
  if (!account || modelFamilyOfProduct(account.product) !== "Mac") return false;
  return claimedProduct === null || modelFamilyOfProduct(claimedProduct) === "Mac";
}
