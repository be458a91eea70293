// What the check-in and command endpoints share: the transport-neutral request and
// response shapes, reading the message's identity keys, the device binding check and
// the account-driven bearer check (seed 003 step 19).
import type { Device } from "../db/generated/sqlite/client";
import { db } from "../db/client";
import { bearerToken } from "../enrollment/accessTokens";
import { authorizeAccessToken } from "../enrollment/bearerAuth";
import { challengeHeader } from "../enrollment/addeService";
import { getAddeSettings } from "../enrollment/addeSettings";
import { LIMITS, type OversizeBody } from "../http/body";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import type { ReasonCode } from "../log/reasons";
import type { CertificateRow } from "../pki/certificates";
import { supersedeCertificate } from "../pki/revocation";
import { MdmAuthError } from "./identity";
import { parsePlistDict, type PlistDict } from "../plist/plist";

export interface MdmRequest {
  body: Uint8Array;
  /** Mdm-Signature header. */
  signature: string | null;
  /** Client certificate forwarded by the TLS proxy (CLIENT_CERT_HEADER). */
  clientCert: string | null;
  /** Authorization header (account-driven enrollment's Bearer access token). */
  authorization: string | null;
  remoteAddr: string | null;
  /** The enrollment reference (?e=) of the URL the device was given (lib/enrollment/enrollmentRef.ts); unverified. */
  enrollmentRef?: string | null;
  /** Set when a command report exceeded its limit: `body` is then only its first bytes. */
  oversize?: OversizeBody;
}

export interface MdmResponse {
  status: number;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export const EMPTY_OK: MdmResponse = { status: 200 };

export function plistResponse(xml: string): MdmResponse {
  return { status: 200, body: xml, contentType: "application/xml; charset=utf-8" };
}

export function errorStatus(status: number, message: string, headers?: Record<string, string>): MdmResponse {
  return { status, body: `${message}\n`, contentType: "text/plain; charset=utf-8", headers };
}

export interface MessageIdentity {
  udid: string | null;
  enrollmentId: string | null;
  /** The key the device record is stored under: EnrollmentID for user enrollment, else UDID. */
  identifier: string | null;
  /** Set on user-channel messages (macOS user, Shared iPad user). */
  userChannelId: string | null;
  userEnrollment: boolean;
}

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 && v.length <= 256 ? v : null);

export function messageIdentity(dict: PlistDict): MessageIdentity {
  const udid = str(dict.UDID);
  const enrollmentId = str(dict.EnrollmentID);
  return {
    udid,
    enrollmentId,
    identifier: enrollmentId ?? udid,
    userChannelId: str(dict.EnrollmentUserID) ?? str(dict.UserID),
    userEnrollment: enrollmentId !== null,
  };
}

/**
 * The device a (non-Authenticate) message speaks for, checking that the presenting
 * certificate is the one bound to it at Authenticate. `boundTo` is the certificate's device
 * as authenticateIdentity read it: when it is the one named, it is not read again.
 */
export async function boundDevice(cert: CertificateRow, identifier: string, boundTo?: Device | null): Promise<Device> {
  const device = boundTo && boundTo.identifier === identifier ? boundTo : await db().device.findUnique({ where: { identifier } });
  if (!cert.deviceId) {
    throw new MdmAuthError(
      device ? "checkin_cert_mismatch" : "checkin_unauthenticated",
      device ? `certificate ${cert.serial} is not bound to ${identifier} (it never authenticated)` : `unknown device ${identifier}: Authenticate first`,
    );
  }
  if (!device || device.id !== cert.deviceId) throw new MdmAuthError("checkin_cert_mismatch", `certificate ${cert.serial} belongs to another device than ${identifier}`);
  if (cert.renewedFromSerial && device.certSerial === cert.renewedFromSerial) return moveToRenewedCertificate(device, cert);
  return device;
}

/**
 * The first message signed with a certificate issued for this device's identity renewal
 * (its row names the device and renews the bound serial) moves the binding to it and
 * retires the old certificate (revoked, superseded): the binding never moves back.
 */
async function moveToRenewedCertificate(device: Device, cert: CertificateRow): Promise<Device> {
  const { count } = await db().device.updateMany({ where: { id: device.id, certSerial: cert.renewedFromSerial }, data: { certSerial: cert.serial } });
  if (count === 1) {
    await supersedeCertificate(cert.renewedFromSerial!, cert.serial);
    await writeEnrollmentLog({
      step: "renewal",
      outcome: "OK",
      message: `Identity renewal: device moved from certificate ${cert.renewedFromSerial} to ${cert.serial}; ${cert.renewedFromSerial} is revoked as superseded`,
      deviceIdentifier: device.identifier,
      tokenId: cert.enrollmentTokenId ?? device.tokenId ?? null,
    });
  }
  return { ...device, certSerial: cert.serial };
}

/** A refused access token; the 401 repeats the sign-in challenge so the device can renew it. */
export class BearerError extends MdmAuthError {
  constructor(
    reason: ReasonCode,
    message: string,
    readonly version: "mdm-byod" | "mdm-adde",
  ) {
    super(reason, message);
  }
}

/** Which MDM channel a message travels on: the device's, or a (macOS) user's. */
export type Channel = "device" | "user";

export interface BearerOptions {
  channel?: Channel;
  /** Authenticate of a user enrollment (no device record yet): names the sign-in challenge. */
  userEnrollment?: boolean;
}

/**
 * Account-driven enrollments authorize requests with the access token (Apple, "Onboarding
 * users with account sign-in"): on iOS, iPadOS and visionOS every request carries it; on
 * macOS only user-channel requests do, so a Mac's device channel (deviceChannelCertOnly,
 * decided at Authenticate from the enroll request the server answered) rests on the
 * identity certificate alone. A token that is sent is always checked. Returns the token's
 * user, or null when no token is required and none was sent.
 */
export async function checkBearer(
  authorization: string | null,
  cert: CertificateRow,
  device: Pick<Device, "userId" | "enrollmentType" | "deviceChannelCertOnly"> | null,
  opts: BearerOptions = {},
): Promise<{ userId: string; userIdentifier: string; version: "mdm-byod" | "mdm-adde" } | null> {
  const accountDriven = !!cert.userId || (device !== null && device.enrollmentType !== "OTA");
  const certOnly = (opts.channel ?? "device") === "device" && device?.deviceChannelCertOnly === true;
  if (!authorization && (!accountDriven || certOnly)) return null;
  const version = opts.userEnrollment || device?.enrollmentType === "USER_ENROLLMENT" ? "mdm-byod" : "mdm-adde";
  const token = bearerToken(authorization);
  if (!token) throw new BearerError("access_token_invalid", `account-driven device sent no Bearer access token on the ${opts.channel ?? "device"} channel`, version);
  const r = await authorizeAccessToken(token);
  if (!r.ok) {
    const why = r.reason === "adde_route_removed" ? `: no enabled routing rule gives ${r.userIdentifier} ${version} any more, so the user must sign in again` : "";
    throw new BearerError(r.reason, `access token rejected (${r.reason})${why}`, version);
  }
  const owner = cert.userId ?? device?.userId ?? null;
  if (owner && owner !== r.userId) throw new BearerError("access_token_invalid", "access token belongs to another user than the enrollment", version);
  return { userId: r.userId, userIdentifier: r.userIdentifier, version: r.version };
}

/**
 * The device a refused (401) request speaks for, so its log line lands on that device's
 * timeline: the UDID/EnrollmentID the body claims (read best-effort; the request is not
 * authenticated, so the line says "claimed"), else the device the certificate is bound to.
 */
export async function refusedRequestDevice(body: Uint8Array, parsedIdentifier: string | null, cert: CertificateRow | null): Promise<{ identifier: string | null; note: string }> {
  let claimed = parsedIdentifier;
  if (!claimed) {
    try {
      // Unauthenticated input: read it only up to check-in size (command reports may be 4 MiB).
      claimed = messageIdentity(parsePlistDict(body, LIMITS.checkin)).identifier;
    } catch {
      claimed = null; // unreadable body: nothing claimed
    }
  }
  const bound = cert?.deviceId ? ((await db().device.findUnique({ where: { id: cert.deviceId }, select: { identifier: true } }))?.identifier ?? null) : null;
  if (claimed) return { identifier: claimed, note: ` [device ${claimed} as claimed by the refused message${bound && bound !== claimed ? `; the certificate is bound to ${bound}` : ""}]` };
  if (bound) return { identifier: bound, note: ` [device ${bound}: the certificate is bound to it; the message claims no identifier]` };
  return { identifier: null, note: "" };
}

/** Logs an authentication failure and turns it into the 401 the device gets. */
export async function unauthorizedResponse(
  err: MdmAuthError,
  ctx: { identifier?: string | null; note?: string; tokenId?: string | null; remoteAddr: string | null; what: string },
): Promise<MdmResponse> {
  await writeEnrollmentLog({
    step: "checkin",
    outcome: "ERROR",
    reason: err.reason,
    message: `${ctx.what} refused: ${err.message}${ctx.note ?? ""}`,
    deviceIdentifier: ctx.identifier ?? null,
    tokenId: ctx.tokenId ?? null,
    remoteAddr: ctx.remoteAddr,
  });
  if (err instanceof BearerError) {
    // The same challenge as the enrollment's first 401, so the device signs in (or refreshes) again.
    const header = challengeHeader(err.version, await getAddeSettings());
    return errorStatus(401, "Unauthorized", { "WWW-Authenticate": header });
  }
  return errorStatus(401, "Unauthorized");
}
