// NDES-compatible challenge URL (Jamf Pro "Dynamic-Microsoft CA" and similar MDMs): behind
// HTTP basic auth, answers Microsoft's mscep_admin page, UTF-16LE HTML with
// "The enrollment challenge password is: <B> CHALLENGE </B>" and a challenge of 16 uppercase
// hex characters, so existing integrations parse it unchanged. Like NDES: a cache of unused
// passwords (5 by default, per profile), each valid 60 minutes, then "password cache is full".
import type { HttpFile } from "../http/respond";
import { AppError, unauthorized } from "../errors";
import { FailureLimiter } from "../http/failureLimiter";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { verifyPassword, safeEqual } from "../secrets/hash";
import { issueNdesChallenge, ONE_TIME_CHALLENGE_MINUTES } from "./challenge";
import { getScepProfileRow } from "./profiles";

const REALM = 'Basic realm="NDES", charset="UTF-8"';
const PAGE = { contentType: "text/html; charset=utf-16le", cacheControl: "no-store" };

/** Wrong basic-auth passwords per profile and client address before 429s (15 minutes). */
export const NDES_MAX_FAILURES = 10;
// Keyed by profile and address: a guesser is stopped without locking out the real integration elsewhere.
const ndesLimiter = new FailureLimiter("ndes-basic-auth", NDES_MAX_FAILURES, 15 * 60_000);

function utf16le(html: string): Uint8Array {
  // Byte-order mark first, as Windows writes "Unicode" pages.
  return new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(html, "utf16le")]));
}

// The page layout and sentences of Microsoft's mscep_admin (Windows Server 2012+), which
// integrations match literally: "The enrollment challenge password is: <B> … </B>" and
// "The password cache is full."
function page(body: string): string {
  return (
    '<HTML><Head><Meta HTTP-Equiv="Content-Type" Content="text/html; charset=Unicode"><Title>Network Device Enrollment Service</Title></Head>' +
    '<Body BgColor=#FFFFFF><Font ID=locPageFont Face="Arial">' +
    '<Table Border=0 CellSpacing=0 CellPadding=4 Width=100% BgColor=#008080><TR><TD><Font ID=locPageTitleFont Face="Arial" Size=-1 Color=#FFFFFF><LocID ID=locMSCertSrv>Network Device Enrollment Service</LocID></Font></TD></TR></Table>' +
    "<P ID=locPageTitle> Network Device Enrollment Service allows you to obtain certificates for routers or other network devices using the Simple Certificate Enrollment Protocol (SCEP). </P>" +
    body +
    "</Font></Body></HTML>"
  );
}

export function challengePage(challenge: string): string {
  // No CA thumbprint on the page (NDES shows one): its hex would also match the
  // [A-Z0-9]{16,32} or [A-F0-9]{16} that clients search for.
  return page(
    "<P> To complete certificate enrollment for your network device you will need the following information: " +
      `<P> The enrollment challenge password is: <B> ${challenge} </B> ` +
      `<P> This password can be used only once and will expire within ${ONE_TIME_CHALLENGE_MINUTES} minutes. ` +
      "<P> Each enrollment requires a new challenge password. You can refresh this web page to obtain a new challenge password. </P>",
  );
}

export function cacheFullPage(cacheSize: number): string {
  return page(
    "<P> The password cache is full. " +
      `<P> Network Device Enrollment Service stores unused password for later use. By default, passwords are stored for ${ONE_TIME_CHALLENGE_MINUTES} minutes.` +
      "<P>Use one of the existing passwords. If you cannot use an existing password: <UL> " +
      `<LI> Wait until one or more existing passwords expire (by default passwords expire ${ONE_TIME_CHALLENGE_MINUTES} minutes after they are created). </LI> ` +
      `<LI> Configure the service to cache more than ${cacheSize} passwords. </LI> </UL> </P>`,
  );
}

/** User and password of an HTTP basic Authorization header, or null. */
function basicCredentials(authorization: string | null): { user: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? "");
  if (!m) return null;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * GET /ndes/<profileId>: a fresh one-time challenge page for an NDES-type SCEP profile, given
 * the request's Authorization header. Refusals throw AppErrors (401 with the basic realm, 429).
 */
export async function ndesChallengePage(profileId: string, authorization: string | null, remoteAddr: string | null): Promise<HttpFile> {
  const creds = basicCredentials(authorization);
  if (!creds) throw unauthorized("NDES challenge URL needs HTTP basic authentication", { "WWW-Authenticate": REALM });
  const limitKey = `${profileId.slice(0, 100)}|${remoteAddr ?? "unknown"}`;
  const limit = await ndesLimiter.check(limitKey);
  if (limit.blocked) {
    await writeEnrollmentLog({
      step: "scep",
      outcome: "ERROR",
      reason: "ndes_auth_failed",
      message: `NDES challenge URL: refused, ${NDES_MAX_FAILURES} wrong credentials for profile "${profileId.slice(0, 100)}" from this address in 15 minutes`,
      remoteAddr,
    });
    throw new AppError(429, "too_many_attempts", "too many wrong credentials; try again later", { "Retry-After": String(limit.retryAfterSeconds) });
  }
  const profile = await getScepProfileRow(profileId);
  // The slow hash runs whether or not the profile exists (verifyPassword burns time on a missing hash).
  const passwordOk = await verifyPassword(creds.password, profile?.challengeType === "NDES" ? profile.ndesPasswordHash : null);
  const valid = passwordOk && profile !== null && safeEqual(profile.ndesUsername ?? "", creds.user);
  if (!valid) {
    await ndesLimiter.fail(limitKey);
    // Same answer for unknown profiles and wrong credentials: nothing to probe.
    await writeEnrollmentLog({ step: "scep", outcome: "ERROR", reason: "ndes_auth_failed", message: `NDES challenge URL: wrong credentials for profile "${profileId.slice(0, 100)}"`, remoteAddr });
    throw unauthorized("wrong user name or password", { "WWW-Authenticate": REALM });
  }
  await ndesLimiter.succeed(limitKey);
  const issued = await issueNdesChallenge(profile!.id);
  if (!issued.ok) {
    await writeEnrollmentLog({
      step: "scep",
      outcome: "WARNING",
      message: `${profile!.name}: NDES password cache is full (${issued.cacheSize} unused challenges); raise the profile's NDES cache size for a mass deployment`,
      remoteAddr,
    });
    return { body: utf16le(cacheFullPage(issued.cacheSize)), ...PAGE };
  }
  await writeEnrollmentLog({ step: "scep", outcome: "OK", message: `${profile!.name}: NDES challenge issued`, remoteAddr });
  return { body: utf16le(challengePage(issued.challenge)), ...PAGE };
}
