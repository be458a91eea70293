// NDES-compatible challenge URL (Jamf Pro "Dynamic-Microsoft CA" and similar MDMs): behind
// HTTP basic auth, answers Microsoft's mscep_admin page, UTF-16LE HTML with
// "The enrollment challenge password is: <B> CHALLENGE </B>", so existing integrations
// parse it unchanged. Like NDES: 5 unused passwords at most, each valid 60 minutes, then a
// "password cache is full" page.
import { remoteAddress } from "../http/remote";
import { errorResponse } from "../http/respond";
import { AppError, unauthorized } from "../errors";
import { FailureLimiter } from "../http/failureLimiter";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { verifyPassword, safeEqual } from "../secrets/hash";
import { issueNdesChallenge, NDES_MAX_UNUSED, ONE_TIME_CHALLENGE_MINUTES } from "./challenge";
import { getScepProfileRow } from "./profiles";

const REALM = 'Basic realm="NDES", charset="UTF-8"';

/** Wrong basic-auth passwords per profile and client address before 429s (15 minutes). */
export const NDES_MAX_FAILURES = 10;
// Keyed by profile and address: a guesser is stopped without locking out the real integration elsewhere.
const ndesLimiter = new FailureLimiter("ndes-basic-auth", NDES_MAX_FAILURES, 15 * 60_000);

function utf16le(html: string): Uint8Array {
  // Byte-order mark first, as Windows writes "Unicode" pages.
  return new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(html, "utf16le")]));
}

function page(body: string): string {
  return (
    '<HTML><Head><Meta HTTP-Equiv="Content-Type" Content="text/html; charset=Unicode">' +
    "<Title>Network Device Enrollment Service</Title></Head>" +
    '<Body BgColor=#FFFFFF><Font ID=Hdr Face="Arial"><B>Network Device Enrollment Service</B></Font><P>' +
    body +
    "</Body></HTML>"
  );
}

export function challengePage(challenge: string): string {
  // No CA thumbprint on the page: its hex would also match the [A-Z0-9]{16,32} that clients search for.
  return page(
    "<P> Network Device Enrollment Service allows you to obtain certificates for routers or other network devices using the Simple Certificate Enrollment Protocol (SCEP). </P>" +
      `<P> The enrollment challenge password is: <B> ${challenge} </B> </P>` +
      `<P> This password can be used only once and will expire within ${ONE_TIME_CHALLENGE_MINUTES} minutes. </P>` +
      "<P> Each enrollment requires a new challenge password. You can refresh this web page to obtain a new challenge password. </P>",
  );
}

export function cacheFullPage(): string {
  return page(
    "<P> The password cache is full. </P>" +
      `<P> The Network Device Enrollment Service keeps at most ${NDES_MAX_UNUSED} unused challenge passwords. Use or wait for one of them to expire (${ONE_TIME_CHALLENGE_MINUTES} minutes) before requesting another. </P>`,
  );
}

function basicCredentials(request: Request): { user: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  if (!m) return null;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** GET /ndes/<profileId>: a fresh one-time challenge for an NDES-type SCEP profile. */
export async function handleNdesHttp(request: Request, profileId: string): Promise<Response> {
  try {
    const remoteAddr = remoteAddress(request);
    const creds = basicCredentials(request);
    if (!creds) throw unauthorized("NDES challenge URL needs HTTP basic authentication", { "WWW-Authenticate": REALM });
    const limitKey = `${profileId.slice(0, 100)}|${remoteAddr ?? "unknown"}`;
    const limit = ndesLimiter.check(limitKey);
    if (limit.blocked) {
      await writeEnrollmentLog({ step: "scep", outcome: "ERROR", reason: "ndes_auth_failed", message: `NDES challenge URL: refused, ${NDES_MAX_FAILURES} wrong credentials for profile "${profileId.slice(0, 100)}" from this address in 15 minutes`, remoteAddr });
      throw new AppError(429, "too_many_attempts", "too many wrong credentials; try again later", { "Retry-After": String(limit.retryAfterSeconds) });
    }
    const profile = await getScepProfileRow(profileId);
    // The slow hash runs whether or not the profile exists (verifyPassword burns time on a missing hash).
    const passwordOk = await verifyPassword(creds.password, profile?.challengeType === "NDES" ? profile.ndesPasswordHash : null);
    const valid = passwordOk && profile !== null && safeEqual(profile.ndesUsername ?? "", creds.user);
    if (!valid) {
      ndesLimiter.fail(limitKey);
      // Same answer for unknown profiles and wrong credentials: nothing to probe.
      await writeEnrollmentLog({ step: "scep", outcome: "ERROR", reason: "ndes_auth_failed", message: `NDES challenge URL: wrong credentials for profile "${profileId.slice(0, 100)}"`, remoteAddr });
      throw unauthorized("wrong user name or password", { "WWW-Authenticate": REALM });
    }
    ndesLimiter.succeed(limitKey);
    const issued = await issueNdesChallenge(profile!.id);
    const headers = { "content-type": "text/html; charset=utf-16le", "cache-control": "no-store" };
    if (!issued.ok) {
      await writeEnrollmentLog({ step: "scep", outcome: "WARNING", message: `${profile!.name}: NDES password cache is full (${NDES_MAX_UNUSED} unused challenges)`, remoteAddr });
      return new Response(Buffer.from(utf16le(cacheFullPage())), { status: 200, headers });
    }
    await writeEnrollmentLog({ step: "scep", outcome: "OK", message: `${profile!.name}: NDES challenge issued`, remoteAddr });
    return new Response(Buffer.from(utf16le(challengePage(issued.challenge))), { status: 200, headers });
  } catch (err) {
    return errorResponse(err);
  }
}
