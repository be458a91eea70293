// The account-driven enrollment endpoint (the BaseURL; seed 003 steps 4-5 and 12-13).
// First POST (no token): 401 with the WWW-Authenticate challenge of the configured method
// (and X-Apple-MDM-ESSO when Enrollment SSO is on). Second POST with a valid Bearer token:
// the signed enrollment profile with EnrollmentMode and AssignedManagedAppleID.
import crypto from "node:crypto";
import { db } from "../db/client";
import { AppError } from "../errors";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import type { ReasonCode } from "../log/reasons";
import { recordAccountEnrollment } from "./accountEnrollments";
import { assembleEnrollmentProfile } from "./assembleProfile";
import { enrollmentTopic } from "../settings/mdmEndpoints";
import { isPlistDict, parsePlistStrict, PlistError, type PlistDict } from "../plist/plist";
import { CmsError, verifySignedData } from "../pki/cms";
import { ProfileOptionsError, type ScepIdentity } from "../profiles/enrollmentProfile";
import { deviceUnknownContext, profileSubject } from "../profiles/profileSubject";
import { challengeForEnrollment } from "../scep/challenge";
import { scepUrl } from "../scep/url";
import { bearerToken, type EnrollmentVersion } from "./accessTokens";
import { authorizeAccessToken } from "./bearerAuth";
import { getAddeSettings, type AddeSettings } from "./addeSettings";
import { essoHeader } from "./esso";
import { defaultOtaScepProfile, externalScepIdentity } from "./otaIdentity";
import { authorizationUrl, OAUTH_REDIRECT_URL, tokenUrl } from "./oauth";
import { externalIdentityProfileFor, modelFamilyOfProduct } from "./routes";
import { webAuthUrl } from "./userSignIn";
import { managedAppleIdFor } from "./users";

/** Enroll request bodies are three short strings; anything near this is not a device. */
export const ENROLL_BODY_LIMIT = 64 * 1024;

export interface EnrollRequestInfo {
  language: string | null;
  product: string;
  version: string;
  /** Subject of the device certificate that signed the body (Apple's device CA; not trusted here, recorded). */
  signer: string | null;
}

export interface EnrollResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | null;
}

class EnrollRequestError extends Error {}

const ALNUM_ISH = /^[\x20-\x7e]{1,64}$/;

/** Parses the body: an XML plist, possibly wrapped in CMS SignedData by the device identity. */
export async function parseEnrollBody(bytes: Uint8Array): Promise<EnrollRequestInfo> {
  if (bytes.byteLength === 0) throw new EnrollRequestError("empty body");
  let content = bytes;
  let signer: string | null = null;
  if (bytes[0] === 0x30) {
    try {
      const v = await verifySignedData(bytes);
      content = v.content;
      try {
        signer = new crypto.X509Certificate(Buffer.from(v.signerCertDer)).subject.replace(/\n/g, ", ");
      } catch {
        signer = "(unreadable certificate)";
      }
    } catch (err) {
      throw new EnrollRequestError(err instanceof CmsError ? `CMS signature: ${err.message}` : "malformed CMS body");
    }
  }
  let dict: PlistDict;
  try {
    const value = parsePlistStrict(content, ENROLL_BODY_LIMIT);
    if (!isPlistDict(value)) throw new PlistError("property list is not a dictionary");
    dict = value;
  } catch (err) {
    throw new EnrollRequestError(err instanceof PlistError ? `property list: ${err.message}` : "malformed property list");
  }
  const str = (k: string): string | null => {
    const v = dict[k];
    if (v === undefined) return null;
    if (typeof v !== "string" || !ALNUM_ISH.test(v)) throw new EnrollRequestError(`${k} must be a short string`);
    return v;
  };
  const language = str("LANGUAGE");
  const product = str("PRODUCT");
  const version = str("VERSION");
  if (!product || !version) throw new EnrollRequestError("PRODUCT and VERSION are required");
  return { language, product, version, signer };
}

function quote(v: string): string {
  return `"${v.replace(/["\\]/g, "")}"`;
}

/** The WWW-Authenticate challenge the first 401 carries (and ongoing 401s may repeat). */
export function challengeHeader(version: EnrollmentVersion, settings: Pick<AddeSettings, "authMethod" | "oauthClientId">): string {
  if (settings.authMethod === "oauth2") {
    return [
      'Bearer method="apple-oauth2"',
      `authorization-url=${quote(authorizationUrl())}`,
      `token-url=${quote(tokenUrl())}`,
      `redirect-url=${quote(OAUTH_REDIRECT_URL)}`,
      `client-id=${quote(settings.oauthClientId)}`,
      `scope=${quote(version)}`,
    ].join(", ");
  }
  return `Bearer method="apple-as-web", url=${quote(webAuthUrl(version))}`;
}

const NO_STORE = { "cache-control": "no-store" };

function plain(status: number, text: string, headers: Record<string, string> = {}): EnrollResponse {
  return { status, headers: { ...NO_STORE, "content-type": "text/plain; charset=utf-8", ...headers }, body: new TextEncoder().encode(text) };
}

/** POST <BaseURL>: the whole enroll step. `mode` is the BaseURL's last segment (byod/adde). */
export async function enroll(req: { version: EnrollmentVersion; body: Uint8Array; authorization: string | null; remoteAddr: string | null }): Promise<EnrollResponse> {
  const { version, remoteAddr } = req;
  let info: EnrollRequestInfo;
  try {
    info = await parseEnrollBody(req.body);
  } catch (err) {
    const msg = err instanceof EnrollRequestError ? err.message : "unreadable body";
    await writeEnrollmentLog({ step: "adde.enroll", outcome: "ERROR", reason: "adde_bad_request", message: `enroll request (${version}) refused: ${msg}`, remoteAddr });
    return plain(400, `Bad enrollment request: ${msg}\n`);
  }
  const device = `${info.product} ${info.version}${info.language ? ` ${info.language}` : ""}${info.signer ? `, signed by ${info.signer}` : ", unsigned"}`;
  const topic = await enrollmentTopic();
  if (topic === null) {
    await writeEnrollmentLog({
      step: "adde.enroll",
      outcome: "ERROR",
      reason: "push_not_configured",
      message: `enrollment (${version}) from ${device} refused: no APNs certificate, so the device could never be woken`,
      remoteAddr,
    });
    return plain(503, "This server is not ready to enroll devices: the administrator must add an APNs certificate.\n", { "retry-after": "3600" });
  }
  const settings = await getAddeSettings();
  const challenge = async (reason: ReasonCode | null, message: string, status = 401, extra: Record<string, string> = {}) => {
    await writeEnrollmentLog({ step: "adde.enroll", outcome: reason ? "ERROR" : "OK", reason, message, remoteAddr });
    const headers: Record<string, string> = { ...NO_STORE, "www-authenticate": challengeHeader(version, settings), ...extra };
    return { status, headers, body: null } satisfies EnrollResponse;
  };

  const token = bearerToken(req.authorization);
  if (!req.authorization || !token) {
    const esso = await essoHeader();
    const note = req.authorization ? " (Authorization header is not a Bearer token)" : "";
    return challenge(
      req.authorization ? "access_token_malformed" : null,
      `first enrollment attempt (${version}) from ${device}${note}; asked to authenticate (${settings.authMethod})`,
      401,
      esso ? { "x-apple-mdm-esso": esso } : {},
    );
  }
  const verdict = await authorizeAccessToken(token);
  if (!verdict.ok) {
    const why = verdict.reason === "adde_route_removed" ? `: no enabled routing rule gives ${verdict.userIdentifier} ${version} any more` : "";
    return challenge(verdict.reason, `enrollment (${version}) from ${device} refused: access token rejected (${verdict.reason})${why}`);
  }
  if (verdict.version !== version) {
    await writeEnrollmentLog({
      step: "adde.enroll",
      outcome: "ERROR",
      reason: "adde_version_mismatch",
      message: `token of ${verdict.userIdentifier} is for ${verdict.version} but the device asked for ${version}`,
      userIdentifier: verdict.userIdentifier,
      remoteAddr,
    });
    return plain(403, "This sign-in is for another kind of enrollment.\n");
  }
  try {
    const profile = await buildProfileFor(verdict.userId, version, info, topic);
    await writeEnrollmentLog({
      step: "adde.profile",
      outcome: "OK",
      message: `enrollment profile served to ${verdict.userIdentifier} (${version === "mdm-adde" ? "ADDE" : "BYOD"}, Managed Apple Account ${profile.managedAppleId}) for ${device}`,
      userIdentifier: verdict.userIdentifier,
      remoteAddr,
    });
    return { status: 200, headers: { ...NO_STORE, "content-type": "application/x-apple-aspen-config" }, body: profile.signed };
  } catch (err) {
    // Server-side configuration problems (e.g. a PUBLIC_URL that is not https): the device
    // gets 503, the admin a log line naming the problem.
    if (err instanceof AppError || err instanceof ProfileOptionsError) {
      const status = err instanceof AppError ? err.status : 503;
      await writeEnrollmentLog({
        step: "adde.profile",
        outcome: "ERROR",
        reason: null,
        message: `could not build the profile for ${verdict.userIdentifier}: ${err.message}`,
        userIdentifier: verdict.userIdentifier,
        remoteAddr,
      });
      return plain(status, status >= 500 ? "The server cannot build enrollment profiles right now; the administrator has been told why.\n" : `${err.message}\n`);
    }
    throw err;
  }
}

/**
 * The SCEP profile for account-driven identities: the one chosen in the settings, else the
 * same default one-time (DYNAMIC) profile OTA tokens without a SCEP profile use.
 */
async function scepProfileFor(settings: AddeSettings) {
  if (settings.scepProfileId) {
    const chosen = await db().scepProfile.findUnique({ where: { id: settings.scepProfileId } });
    if (chosen) return chosen;
  }
  return defaultOtaScepProfile();
}

/** The identity payload: the routing rule's external CA, else the built-in SCEP profile with a one-time challenge bound to the user. */
async function identityFor(user: { id: string; identifier: string }, version: EnrollmentVersion, family: string | null, enrollmentRef: string): Promise<ScepIdentity> {
  // The device is not known yet: a per-enrollment id stands in for its variables; the user is known.
  const fill = (template: string) => profileSubject(template, deviceUnknownContext(enrollmentRef, { EMAIL: user.identifier, USERNAME: user.identifier }));
  const externalId = await externalIdentityProfileFor(user.identifier, family, version);
  if (externalId) return (await externalScepIdentity(externalId, fill, { userIdentifier: user.identifier })).payload;
  const scep = await scepProfileFor(await getAddeSettings());
  const challenge = await challengeForEnrollment(scep.id, { userId: user.id });
  return {
    kind: "scep",
    url: scepUrl(scep.id),
    name: scep.name,
    challenge,
    subject: fill(scep.subjectTemplate),
    keySize: scep.keySize,
    keyUsage: scep.keyUsage,
    allowAllAppsAccess: scep.allowAllAppsAccess,
    keyIsExtractable: !scep.nonExportable,
  };
}

async function buildProfileFor(userId: string, version: EnrollmentVersion, info: EnrollRequestInfo, topic: string): Promise<{ signed: Uint8Array; managedAppleId: string }> {
  const user = await db().user.findUniqueOrThrow({ where: { id: userId } });
  const managedAppleId = managedAppleIdFor(user);
  const enrollmentRef = `adde-${crypto.randomUUID().slice(0, 8)}`;
  const family = modelFamilyOfProduct(info.product);
  const identity = await identityFor(user, version, family, enrollmentRef);
  // PRODUCT/VERSION/LANGUAGE stay server-side; Authenticate finds them through the URLs' reference.
  const accountEnrollmentId = await recordAccountEnrollment({ userId: user.id, userIdentifier: user.identifier, version, product: info.product, buildVersion: info.version, language: info.language });
  const mode = version === "mdm-adde" ? "ADDE" : "BYOD";
  const signed = await assembleEnrollmentProfile({ kind: "account", accountEnrollmentId, mode, managedAppleId, family }, identity, topic);
  return { signed, managedAppleId };
}
