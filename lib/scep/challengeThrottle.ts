// Brute-force brake on SCEP challenges, per SCEP profile and client address, as on the NDES
// challenge URL (lib/scep/ndes.ts): after SCEP_MAX_CHALLENGE_FAILURES wrong challenges in
// 15 minutes the address gets HTTP 429 with Retry-After for that profile, before its request
// is even decrypted. Other profiles and other addresses are unaffected.
import { AppError } from "../errors";
import { FailureLimiter } from "../http/failureLimiter";
import { writeEnrollmentLog } from "../log/enrollmentLog";

export const SCEP_MAX_CHALLENGE_FAILURES = 20;
const WINDOW_MS = 15 * 60_000;
const limiter = new FailureLimiter("scep-challenge", SCEP_MAX_CHALLENGE_FAILURES, WINDOW_MS);

const keyOf = (profileId: string, remoteAddr: string | null) => `${profileId.slice(0, 100)}|${remoteAddr ?? "unknown"}`;

/** Throws a 429 (and logs it) when this address has used up its wrong challenges for the profile. */
export async function checkChallengeThrottle(profile: { id: string; name: string }, remoteAddr: string | null): Promise<void> {
  const limit = await limiter.check(keyOf(profile.id, remoteAddr));
  if (!limit.blocked) return;
  await writeEnrollmentLog({
    step: "scep",
    outcome: "ERROR",
    reason: "scep_challenge_throttled",
    message: `${profile.name}: PKIOperation refused, ${SCEP_MAX_CHALLENGE_FAILURES} wrong challenges from this address in 15 minutes (retry in ${limit.retryAfterSeconds} s)`,
    remoteAddr,
  });
  throw new AppError(429, "too_many_attempts", "too many wrong challenges; try again later", { "Retry-After": String(limit.retryAfterSeconds) });
}

/** A wrong challenge counts; a right one does not reset the count (a guesser may share a NAT address with real devices). */
export async function recordWrongChallenge(profileId: string, remoteAddr: string | null): Promise<void> {
  await limiter.fail(keyOf(profileId, remoteAddr));
}
