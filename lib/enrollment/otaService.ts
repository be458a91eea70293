// OTA enrollment decisions: what the enroll page shows for a link, and the signed
// profile a download gets. Every verdict writes an enrollment-log line (ota.verify,
// ota.challenge, ota.profile). The token itself never reaches a log line or a page.
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { log, maskSecret } from "../log/logger";
import { REASONS } from "../log/reasons";
import { organizationDisplayName } from "../settings/branding";
import { enrollmentTopic } from "../settings/mdmEndpoints";
import { profileFilename, signedOtaProfile } from "./otaProfile";
import { profileServiceDownload } from "./profileService";
import { checkDeviceLimit, effectiveDeviceLimit, limitRefusalMessage } from "./deviceLimit";
import { releaseReservation, reservationCookieName, reserveEnrollmentUse } from "./reservations";
import { termsToAccept, termsVersion, type TermsToAccept } from "./terms";
import { enrollmentJwtForShortId, verifyEnrollmentToken, type TokenReason } from "./tokens";

export interface OtaContext {
  remoteAddr?: string | null;
  /** The clock (tests move it; reservations expire by it). */
  now?: Date;
  /** The request's cookies (name → value): the browser's reservation of this token, if it holds one. */
  cookies?: Record<string, string>;
  /** The terms version (SHA-256) the person ticked on the enroll page, if any. */
  acceptedTerms?: string | null;
}

/** The cookie a download sets so the same browser downloading again reuses its reservation. */
export interface ReservationCookie {
  name: string;
  value: string;
  /** Seconds until the reservation expires, by the download's clock. */
  maxAge: number;
}

/** Refusals of a download that are about the person, not the link. */
export type GovernanceReason = "device_limit_reached" | "terms_not_accepted";

export const PROFILE_CONTENT_TYPE = "application/x-apple-aspen-config";

export type EnrollLinkVerdict =
  | {
      ok: true;
      tokenId: string;
      tokenName: string;
      organization: string;
      expiresAt: Date | null;
      usesLeft: number | null;
      /** Per-person link: who it is for. */
      personEmail: string | null;
      /** Terms to accept before downloading, parsed for display. */
      terms: TermsToAccept | null;
    }
  | { ok: false; reason: TokenReason | "push_not_configured" };

export type ProfileDownload =
  | { ok: true; body: Uint8Array; filename: string; contentType: typeof PROFILE_CONTENT_TYPE; tokenId: string; cookie: ReservationCookie }
  | { ok: false; reason: TokenReason; status: number }
  | { ok: false; reason: GovernanceReason; status: 403 }
  | { ok: false; reason: "server_error" | "push_not_configured"; status: 503 };

/** HTTP status of a refused profile download, per reason. */
export const REASON_STATUS: Record<TokenReason, number> = {
  token_missing: 400,
  token_malformed: 400,
  token_bad_signature: 403,
  token_unknown: 404,
  token_expired: 410,
  token_revoked: 410,
  token_exhausted: 410,
};

/** HTTP status of a refused enroll page or download, per verdict reason. */
export function refusalStatus(reason: TokenReason | "push_not_configured"): number {
  return reason === "push_not_configured" ? 503 : REASON_STATUS[reason];
}

async function logRejection(step: string, reason: TokenReason, jwt: string | null | undefined, tokenId: string | undefined, ctx: OtaContext, what: string): Promise<void> {
  const shown = tokenId ? "" : jwt ? ` (link ${maskSecret(jwt)})` : "";
  await writeEnrollmentLog({
    step,
    outcome: "ERROR",
    reason,
    message: `${what}: ${REASONS[reason].title}${shown}`,
    tokenId: tokenId ?? null,
    remoteAddr: ctx.remoteAddr ?? null,
  });
}

/**
 * The enroll page's verdict for a short link (/e/<id>): the same checks as the full link, on
 * the JWT of the token the id names. An unknown id is "token_unknown".
 */
export async function checkShortEnrollmentLink(shortId: string, ctx: OtaContext = {}): Promise<{ verdict: EnrollLinkVerdict; jwt: string | null }> {
  const jwt = await enrollmentJwtForShortId(shortId);
  if (!jwt) {
    await writeEnrollmentLog({
      step: "ota.verify",
      outcome: "ERROR",
      reason: "token_unknown",
      message: `Enrollment link rejected: ${REASONS.token_unknown.title} (short link)`,
      remoteAddr: ctx.remoteAddr ?? null,
    });
    return { verdict: { ok: false, reason: "token_unknown" }, jwt: null };
  }
  return { verdict: await checkEnrollmentLink(jwt, ctx), jwt };
}

async function logPushNotReady(step: string, tokenId: string, ctx: OtaContext): Promise<void> {
  await writeEnrollmentLog({
    step,
    outcome: "ERROR",
    reason: "push_not_configured",
    message: `Enrollment refused: ${REASONS.push_not_configured.title} (no APNs certificate)`,
    tokenId,
    remoteAddr: ctx.remoteAddr ?? null,
  });
}

/** The enroll page's verdict for a link; logs "ota.verify". Consumes nothing. */
export async function checkEnrollmentLink(jwt: string | null | undefined, ctx: OtaContext = {}): Promise<EnrollLinkVerdict> {
  const v = await verifyEnrollmentToken(jwt);
  if (!v.ok) {
    await logRejection("ota.verify", v.reason, jwt, v.tokenId, ctx, "Enrollment link rejected");
    return { ok: false, reason: v.reason };
  }
  if ((await enrollmentTopic()) === null) {
    await logPushNotReady("ota.verify", v.tokenId, ctx);
    return { ok: false, reason: "push_not_configured" };
  }
  await writeEnrollmentLog({
    step: "ota.verify",
    outcome: "OK",
    message: `Enrollment token "${v.token.name}" verified (enroll page opened)`,
    tokenId: v.tokenId,
    remoteAddr: ctx.remoteAddr ?? null,
    unauthenticated: true,
  });
  return {
    ok: true,
    tokenId: v.tokenId,
    tokenName: v.token.name,
    organization: await organizationDisplayName(),
    expiresAt: v.token.expiresAt,
    usesLeft: v.token.maxUses > 0 ? Math.max(0, v.token.maxUses - v.token.claimedCount) : null,
    personEmail: v.token.personEmail,
    terms: termsToAccept(v.token.terms),
  };
}

/**
 * The person-level checks of a download: the terms (the ticked version must be the current
 * text's) and, for a per-person link, the person's device limit. Null when the download may go on.
 */
async function governanceRefusal(
  token: { name: string; terms: string | null; personEmail: string | null; deviceLimit: number | null },
  ctx: OtaContext,
): Promise<{ reason: GovernanceReason; message: string } | null> {
  if (token.terms && ctx.acceptedTerms !== termsVersion(token.terms)) {
    const why = ctx.acceptedTerms ? "an older version of the terms was accepted (the text changed since the page was opened)" : "the terms were not accepted";
    return { reason: "terms_not_accepted", message: `Profile download refused: ${why}. Fix: the person reloads the enroll page and ticks "I accept".` };
  }
  if (token.personEmail) {
    const limit = await effectiveDeviceLimit(token.deviceLimit);
    const verdict = await checkDeviceLimit({ email: token.personEmail }, limit);
    if (!verdict.ok) {
      const source = token.deviceLimit !== null ? `token "${token.name}"` : "Settings › Enrollment";
      return { reason: "device_limit_reached", message: `Profile download refused: ${limitRefusalMessage(token.personEmail, verdict, source)}` };
    }
  }
  return null;
}

/**
 * A profile download: verify, check the terms and the person's device limit, reserve one use
 * (atomically; the loser of a race gets "exhausted"; the same browser downloading again
 * reuses its reservation), issue the SCEP challenge, build, sign. The use is spent when a
 * device enrolls with the profile (lib/mdm/checkin.ts); a server-side failure here releases
 * a new reservation, so the user can simply retry.
 */
export async function downloadEnrollmentProfile(jwt: string | null | undefined, ctx: OtaContext = {}): Promise<ProfileDownload> {
  const v = await verifyEnrollmentToken(jwt);
  if (!v.ok) {
    await logRejection("ota.profile", v.reason, jwt, v.tokenId, ctx, "Profile download refused");
    return { ok: false, reason: v.reason, status: REASON_STATUS[v.reason] };
  }
  const { token, tokenId } = v;
  // Checked before a use is reserved, so the link still works once the certificate is added.
  const topic = await enrollmentTopic();
  if (topic === null) {
    await logPushNotReady("ota.profile", tokenId, ctx);
    return { ok: false, reason: "push_not_configured", status: 503 };
  }
  const refusal = await governanceRefusal(token, ctx);
  if (refusal) {
    await writeEnrollmentLog({ step: "ota.profile", outcome: "ERROR", reason: refusal.reason, message: refusal.message, tokenId, remoteAddr: ctx.remoteAddr ?? null });
    return { ok: false, reason: refusal.reason, status: 403 };
  }
  const now = ctx.now ?? new Date();
  const acceptedBy = token.personEmail ?? `anonymous${ctx.remoteAddr ? ` (${ctx.remoteAddr})` : ""}`;
  const reservation = await reserveEnrollmentUse(tokenId, {
    now,
    secret: ctx.cookies?.[reservationCookieName(tokenId)] ?? null,
    remoteAddr: ctx.remoteAddr ?? null,
    terms: token.terms ? { termsHash: termsVersion(token.terms), acceptedBy } : null,
  });
  if (!reservation.ok) {
    // Verified a moment ago: something changed in between (used up by a concurrent download, revoked, expired).
    const again = await verifyEnrollmentToken(jwt);
    const reason: TokenReason = again.ok ? "token_exhausted" : again.reason;
    const detail = reason === "token_exhausted" ? ` (all ${token.maxUses} uses spent or held by downloads no device has enrolled from yet)` : "";
    await writeEnrollmentLog({ step: "ota.profile", outcome: "ERROR", reason, message: `Profile download refused: ${REASONS[reason].title}${detail}`, tokenId, remoteAddr: ctx.remoteAddr ?? null });
    return { ok: false, reason, status: REASON_STATUS[reason] };
  }
  try {
    const held = reservation.reused ? "same browser again: its reservation reused, no further use taken" : `one use reserved until ${reservation.expiresAt.toISOString()}`;
    const uses = `${token.useCount} of ${token.maxUses > 0 ? token.maxUses : "unlimited"} uses spent by enrolled devices`;
    const cookie = { name: reservationCookieName(tokenId), value: reservation.secret, maxAge: Math.max(0, Math.floor((reservation.expiresAt.getTime() - now.getTime()) / 1000)) };
    if (token.deviceBound || token.requireAttestation) {
      // Device-bound: the device first proves who it is (Profile Service); its answer gets the enrollment profile.
      const served = await profileServiceDownload(
        { id: tokenId, name: token.name },
        { reservationId: reservation.reservationId, expiresAt: reservation.expiresAt, now, remoteAddr: ctx.remoteAddr ?? null },
      );
      await writeEnrollmentLog({
        step: "ota.profile",
        outcome: "OK",
        message: `Profile Service profile served for device-bound token "${token.name}" (${held}; ${uses}); the enrollment profile follows when the device answers with its signed attributes`,
        tokenId,
        remoteAddr: ctx.remoteAddr ?? null,
      });
      return { ok: true, body: served.body, filename: profileFilename(served.organization, "device-identity"), contentType: PROFILE_CONTENT_TYPE, tokenId, cookie };
    }
    const { body, organization } = await signedOtaProfile({ id: tokenId, name: token.name, scepProfileId: token.scepProfileId, externalScepProfileId: token.externalScepProfileId }, topic, {
      remoteAddr: ctx.remoteAddr,
    });
    await writeEnrollmentLog({
      step: "ota.profile",
      outcome: "OK",
      message: `Enrollment profile served for token "${token.name}" (${held}; ${uses})`,
      tokenId,
      remoteAddr: ctx.remoteAddr ?? null,
    });
    return { ok: true, body, filename: profileFilename(organization), contentType: PROFILE_CONTENT_TYPE, tokenId, cookie };
  } catch (err) {
    if (!reservation.reused) await releaseReservation(reservation.reservationId);
    log.error("could not build the enrollment profile", { err, tokenId });
    await writeEnrollmentLog({
      step: "ota.profile",
      outcome: "ERROR",
      message: `Enrollment profile could not be built: ${(err as Error).message ?? String(err)}`,
      tokenId,
      remoteAddr: ctx.remoteAddr ?? null,
    });
    return { ok: false, reason: "server_error", status: 503 };
  }
}
