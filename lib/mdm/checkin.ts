// The check-in protocol (PUT /mdm/checkin): Authenticate creates or updates the device
// and binds the identity certificate to it; TokenUpdate stores push credentials and
// completes enrollment (queuing the group's policies); CheckOut unenrolls (on the identity
// certificate alone: a device sends it once). Bootstrap tokens are stored sealed;
// UserAuthenticate and user-channel TokenUpdates open a macOS user channel (userChannel.ts);
// DeclarativeManagement answers an empty, valid declaration set.
import crypto from "node:crypto";
import type { Device, EnrollmentType } from "../db/generated/sqlite/client";
import { db, isUniqueViolation } from "../db/client";
import { AppError } from "../errors";
import { LIMITS } from "../http/body";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { log } from "../log/logger";
import { bindCertificateToDevice, type CertificateRow } from "../pki/certificates";
import { validateCheckin } from "../profiles/appleSchema";
import { seal, unsealBytes } from "../secrets/sealed";
import { cancelLiveCommands } from "./commands";
import { completeEnrollment, heldEnrollment, heldReEnrollmentOf, keepHeldCheckin, reEnroll, SEALED_CONTEXT, withdrawHeldReEnrollment, type AuthenticateFields } from "./reenrollment";
import { currentMdmTopic } from "../settings/mdmEndpoints";
import { claimExternalCertificateForAccount } from "./externalIdentity";
import { isMacEnrollment } from "../enrollment/accountEnrollments";
import { resolveEnrollmentLink, type EnrollmentLink } from "./enrollmentLink";
import { authenticateIdentity, MdmAuthError } from "./identity";
import { admitEnrollment, recordAdmission } from "./enrollmentAdmission";
import {
  BearerError,
  boundDevice,
  checkBearer,
  EMPTY_OK,
  errorStatus,
  messageIdentity,
  plistResponse,
  refusedRequestDevice,
  unauthorizedResponse,
  type MdmRequest,
  type MdmResponse,
  type MessageIdentity,
} from "./mdmRequest";
import { buildPlist, parsePlistDict, type PlistDict } from "../plist/plist";
import { userAuthenticate, userTokenUpdate } from "./userChannel";
import { MAID_SERVICE_TYPE, maidToken } from "./maidToken";
import { adoptAcmeAttestation } from "./deviceAttestation";
import { REASONS } from "../log/reasons";
import { groupIdForUser, modelFamilyOfProduct } from "../enrollment/routes";

export const SUPPORTED_CHECKIN_TYPES = ["Authenticate", "TokenUpdate", "CheckOut", "GetBootstrapToken", "SetBootstrapToken", "UserAuthenticate", "DeclarativeManagement", "GetToken"] as const;

interface Ctx {
  req: MdmRequest;
  cert: CertificateRow;
  dict: PlistDict;
  type: string;
  id: MessageIdentity & { identifier: string };
  /** The enrollment token of the device the message speaks for (certificate or enrollment reference). */
  tokenId?: string | null;
}

function platformOf(productName: string | null, model: string | null): string | null {
  const p = `${productName ?? ""} ${model ?? ""}`;
  if (/iPhone|iPod/i.test(p)) return "iOS";
  if (/iPad/i.test(p)) return "iPadOS";
  if (/Mac/i.test(p)) return "macOS";
  if (/AppleTV/i.test(p)) return "tvOS";
  if (/Watch/i.test(p)) return "watchOS";
  if (/RealityDevice|Vision/i.test(p)) return "visionOS";
  return null;
}

const s = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v.slice(0, 256) : null);

async function logOk(ctx: Ctx, message: string, tokenId?: string | null, outcome: "OK" | "WARNING" = "OK"): Promise<void> {
  await writeEnrollmentLog({
    step: "checkin",
    outcome,
    message,
    deviceIdentifier: ctx.id.identifier,
    tokenId: tokenId ?? ctx.cert.enrollmentTokenId ?? ctx.tokenId ?? null,
    remoteAddr: ctx.req.remoteAddr,
  });
}

interface AccountAuthorization {
  link: EnrollmentLink;
  /** The account-driven user (from the access token or the certificate), or null for OTA. */
  userId: string | null;
  userIdentifier: string | null;
  /** An account-driven Mac: its device channel carries no access token. */
  macDeviceChannel: boolean;
}

/**
 * Who an Authenticate enrolls for. An identity certificate issued for a signed-in user makes
 * the enrollment account-driven: it needs the access token unless the server's own record
 * of the enroll request (found through the check-in URL's reference, for the same user)
 * names a Mac, whose device channel never carries the token. A token that is sent is checked.
 */
async function accountAuthorization(ctx: Ctx): Promise<AccountAuthorization> {
  const { cert, req, id } = ctx;
  const sentToken = req.authorization !== null && req.authorization !== "";
  const bearer = sentToken || !cert.userId ? await checkBearer(req.authorization, cert, null, { userEnrollment: id.userEnrollment }) : null;
  const userId = bearer?.userId ?? cert.userId ?? null;
  const link = await resolveEnrollmentLink(req.enrollmentRef ?? null, cert, { accountUserId: userId });
  const macDeviceChannel = userId !== null && isMacEnrollment(link.account, s(ctx.dict.ProductName));
  if (userId && !bearer && !macDeviceChannel) {
    const version = link.account?.version ?? (id.userEnrollment ? "mdm-byod" : "mdm-adde");
    const known = link.account ? `its enroll request named ${link.account.product}` : "the server has no record of its enroll request (reference missing or expired)";
    throw new BearerError("access_token_invalid", `account-driven device sent no Bearer access token; only a Mac may leave it out on the device channel, and ${known}`, version);
  }
  let userIdentifier = bearer?.userIdentifier ?? null;
  if (userId && !userIdentifier) userIdentifier = (await db().user.findUnique({ where: { id: userId }, select: { identifier: true } }))?.identifier ?? null;
  return { link, userId, userIdentifier, macDeviceChannel };
}

async function authenticate(rawCtx: Ctx): Promise<MdmResponse> {
  // An external CA's certificate learns its account-driven user here (externalIdentity.ts).
  const ctx = { ...rawCtx, cert: await claimExternalCertificateForAccount(rawCtx.cert, rawCtx.req.enrollmentRef ?? null) };
  const { cert, dict, id } = ctx;
  if (cert.deviceId) {
    const bound = await db().device.findUnique({ where: { id: cert.deviceId }, select: { identifier: true } });
    if (bound && bound.identifier !== id.identifier) throw new MdmAuthError("checkin_cert_mismatch", `certificate ${cert.serial} is bound to ${bound.identifier}, not ${id.identifier}`);
  }
  // Device-bound OTA and attested ACME: the certificate was issued for the UDID the device proved.
  if (cert.boundUdid && cert.boundUdid !== id.udid) {
    throw new MdmAuthError("checkin_udid_mismatch", `certificate ${cert.serial} was issued for UDID ${cert.boundUdid}, and this Authenticate is from ${id.udid ?? id.identifier}`);
  }
  const existing = await db().device.findUnique({ where: { identifier: id.identifier } });
  const account = await accountAuthorization(ctx);
  if (existing?.userId && account.userId && existing.userId !== account.userId) {
    throw new MdmAuthError("checkin_cert_mismatch", `${id.identifier} is enrolled by another user; refusing to hand it to this enrollment's user`);
  }
  let enrollmentType: EnrollmentType = "OTA";
  if (account.userId) enrollmentType = id.userEnrollment ? "USER_ENROLLMENT" : "DEVICE_ENROLLMENT";
  let groupId: string | null = existing?.groupId ?? null;
  const link = account.link;
  // The device's own keys win; the account-driven enroll request fills what it leaves out.
  const productName = s(dict.ProductName) ?? link.account?.product ?? null;
  for (const why of link.ignored) {
    await writeEnrollmentLog({
      step: "checkin",
      outcome: "WARNING",
      reason: "enrollment_ref_ignored",
      message: why,
      deviceIdentifier: id.identifier,
      tokenId: link.tokenId,
      remoteAddr: ctx.req.remoteAddr,
    });
  }
  const tokenId = link.tokenId;
  // A deleted token (the certificate still names it): a known device keeps its group and is
  // no longer linked to it; a new enrollment from it is refused by admitEnrollment.
  const token = tokenId ? await db().enrollmentToken.findUnique({ where: { id: tokenId }, select: { groupId: true } }) : null;
  if (token) {
    groupId = token.groupId;
  } else if (!tokenId && account.userIdentifier) {
    // Account-driven: the routing rule that sent this person here names the group (or none).
    groupId = await groupIdForUser(account.userIdentifier, modelFamilyOfProduct(productName));
  }
  // The first Authenticate with this certificate is the enrollment: the person's device limit
  // applies and it spends the token's use (before any device record changes).
  const admission = cert.deviceId
    ? null
    : await admitEnrollment({ identifier: id.identifier, tokenId, userId: account.userId, userIdentifier: account.userIdentifier, modelFamily: modelFamilyOfProduct(productName) });
  const topic = s(dict.Topic);
  const expectedTopic = await currentMdmTopic();
  const fields: AuthenticateFields = {
    udid: id.udid,
    enrollmentId: id.enrollmentId,
    serialNumber: s(dict.SerialNumber),
    model: s(dict.Model),
    modelName: s(dict.ModelName),
    productName,
    osVersion: s(dict.OSVersion),
    buildVersion: s(dict.BuildVersion) ?? link.account?.buildVersion ?? null,
    deviceName: s(dict.DeviceName),
    platform: platformOf(productName, s(dict.Model)),
    enrollmentType,
    groupId,
    tokenId: token ? tokenId : null,
    userId: account.userId,
    deviceChannelCertOnly: account.userId ? account.macDeviceChannel : null,
    topic,
  };
  const topicNote = topic !== expectedTopic ? `; WARNING topic ${topic} differs from ${expectedTopic}` : "";
  const macNote = account.macDeviceChannel ? ", Mac: device channel on the identity certificate, user channel with the access token" : "";
  const asReEnrollment = async (known: Device): Promise<MdmResponse> => {
    const outcome = await reEnroll(known, { cert, fields, remoteAddr: ctx.req.remoteAddr });
    if (outcome === "applied") {
      if (admission) await recordAdmission(known.id, admission);
      await adoptAcmeAttestation(known, cert.serial);
      await logOk(
        ctx,
        `${`Authenticate from ${fields.productName ?? fields.model ?? "device"} ${fields.serialNumber ?? ""}`.trim()} (${enrollmentType}${macNote}, re-enrollment); certificate ${cert.serial} bound${topicNote}`,
        tokenId,
        topicNote ? "WARNING" : "OK",
      );
    }
    return EMPTY_OK;
  };
  // A known device and an identity not issued or bound for it: a re-enrollment.
  if (existing && cert.deviceId !== existing.id) return asReEnrollment(existing);
  const data = { ...fields, status: "PENDING" as const, lastSeenAt: new Date() };
  let device: Device;
  let dropped = 0;
  if (existing) {
    // The same identity enrolls again: its TokenUpdate queues the group's policies anew, so the old queue goes.
    dropped = await cancelLiveCommands(existing.id);
    device = await db().device.update({ where: { id: existing.id }, data });
  } else {
    try {
      device = await db().device.create({ data: { identifier: id.identifier, ...data } });
    } catch (err) {
      // Two first Authenticates raced on the identifier: the loser is a re-enrollment of the winner's record.
      if (!isUniqueViolation(err)) throw err;
      const winner = await db().device.findUnique({ where: { identifier: id.identifier } });
      if (!winner) throw err;
      if (cert.deviceId !== winner.id) return asReEnrollment(winner);
      device = winner;
    }
  }
  await bindCertificateToDevice(cert.serial, device.id);
  if (admission) await recordAdmission(device.id, admission);
  // An identity from ACME device-attest-01 carries Apple's evidence: the device is hardware-attested.
  await adoptAcmeAttestation(device, cert.serial);
  await logOk(
    ctx,
    `Authenticate from ${fields.productName ?? fields.model ?? "device"} ${fields.serialNumber ?? ""}`.trim() +
      ` (${enrollmentType}${macNote}${link.via === "reference" ? ", token from the enrollment reference" : ""}${existing ? `, again with the same identity${dropped ? `; ${dropped} queued command(s) dropped` : ""}` : ""}); certificate ${cert.serial} bound` +
      topicNote,
    tokenId,
    topicNote ? "WARNING" : "OK",
  );
  return EMPTY_OK;
}

async function tokenUpdate(ctx: Ctx, device: Device): Promise<MdmResponse> {
  const { dict } = ctx;
  const token = dict.Token as Uint8Array;
  const unlock = dict.UnlockToken instanceof Uint8Array ? seal(dict.UnlockToken, SEALED_CONTEXT.unlock) : undefined;
  await db().device.update({
    where: { id: device.id },
    data: {
      pushToken: Buffer.from(token).toString("hex"),
      pushMagic: dict.PushMagic as string,
      topic: dict.Topic as string,
      // A fresh token is reachable again, whatever APNs said about the old one.
      pushUnreachableAt: null,
      ...(unlock ? { unlockTokenEnc: unlock } : {}),
      lastSeenAt: new Date(),
    },
  });
  // Once per enrollment, even when TokenUpdates race: the policies are queued by one of them.
  const queued = await completeEnrollment(device.id, device.groupId);
  if (queued === null) {
    // Devices repeat TokenUpdate with the same token (every launch of mdmclient): only a change is worth a line.
    const changed = device.pushToken !== Buffer.from(token).toString("hex") || device.pushMagic !== dict.PushMagic || device.topic !== dict.Topic;
    if (changed) await logOk(ctx, "TokenUpdate: push token refreshed");
    return EMPTY_OK;
  }
  await logOk(ctx, `TokenUpdate: device enrolled${unlock ? " (unlock token stored)" : ""}; queued ${queued} group polic${queued === 1 ? "y" : "ies"}`);
  return EMPTY_OK;
}

async function checkOut(ctx: Ctx, device: Device): Promise<MdmResponse> {
  await db().device.update({ where: { id: device.id }, data: { status: "UNENROLLED", lastSeenAt: new Date() } });
  const dropped = await cancelLiveCommands(device.id);
  await logOk(ctx, `CheckOut: MDM profile removed; device unenrolled${dropped ? `, ${dropped} queued command(s) dropped` : ""}${await tokenNote(ctx, device)}`);
  return EMPTY_OK;
}

/** For the CheckOut log line: an access token that would have been refused does not stop it. */
async function tokenNote(ctx: Ctx, device: Device): Promise<string> {
  try {
    await checkBearer(ctx.req.authorization, ctx.cert, device);
    return "";
  } catch (err) {
    if (err instanceof BearerError) return ` (accepted on the identity certificate although ${err.message})`;
    throw err;
  }
}

async function setBootstrapToken(ctx: Ctx, device: Device): Promise<MdmResponse> {
  const t = ctx.dict.BootstrapToken;
  await db().device.update({ where: { id: device.id }, data: { bootstrapTokenEnc: t instanceof Uint8Array && t.byteLength ? seal(t, SEALED_CONTEXT.bootstrap) : null, lastSeenAt: new Date() } });
  await logOk(ctx, t instanceof Uint8Array && t.byteLength ? "SetBootstrapToken: bootstrap token escrowed (sealed)" : "SetBootstrapToken: bootstrap token cleared");
  return EMPTY_OK;
}

async function getBootstrapToken(ctx: Ctx, device: Device): Promise<MdmResponse> {
  const out: PlistDict = {};
  if (device.bootstrapTokenEnc) out.BootstrapToken = new Uint8Array(unsealBytes(device.bootstrapTokenEnc, SEALED_CONTEXT.bootstrap));
  await logOk(ctx, `GetBootstrapToken: ${out.BootstrapToken ? "returned the escrowed token" : "no token escrowed"}`);
  return plistResponse(buildPlist(out));
}

/**
 * GetToken: com.apple.maid gets the signed token Apple's Identity Service checks when a Managed
 * Apple Account signs in (lib/mdm/maidToken.ts). Apple: a service type the server does not
 * serve is answered 400.
 */
async function getToken(ctx: Ctx): Promise<MdmResponse> {
  const service = s(ctx.dict.TokenServiceType) ?? "";
  const refuse = async (why: string) => {
    await writeEnrollmentLog({
      step: "checkin",
      outcome: "ERROR",
      reason: "maid_token_unavailable",
      message: `GetToken ${service.slice(0, 80)}: ${why}. Fix: ${REASONS.maid_token_unavailable.fix}`,
      deviceIdentifier: ctx.id.identifier,
      tokenId: ctx.tokenId ?? null,
      remoteAddr: ctx.req.remoteAddr,
    });
    return errorStatus(400, "token service not available");
  };
  if (service !== MAID_SERVICE_TYPE) return refuse("this server issues no token for that service type");
  const token = await maidToken();
  if (!token.ok) return refuse(token.why);
  await logOk(ctx, `GetToken com.apple.maid: signed token ${token.jti} returned (Managed Apple Account sign-in)`);
  return plistResponse(buildPlist({ TokenData: new TextEncoder().encode(token.jwt) }));
}

/** An empty declaration set; the tokens are constant because the set never changes. */
const EMPTY_DECLARATIONS_TOKEN = crypto.createHash("sha256").update("open-enroll:empty-declarations:v1").digest("hex");

async function declarativeManagement(ctx: Ctx): Promise<MdmResponse> {
  const endpoint = s(ctx.dict.Endpoint) ?? "";
  const json = (v: unknown): MdmResponse => ({ status: 200, body: JSON.stringify(v), contentType: "application/json" });
  switch (endpoint) {
    case "tokens":
      return json({ SyncTokens: { DeclarationsToken: EMPTY_DECLARATIONS_TOKEN, Timestamp: "2026-01-01T00:00:00Z" } });
    case "declaration-items":
      return json({ Declarations: { Activations: [], Assets: [], Configurations: [], Management: [] }, DeclarationsToken: EMPTY_DECLARATIONS_TOKEN });
    case "status":
      return EMPTY_OK;
    default:
      return errorStatus(404, "no such declaration");
  }
}

/**
 * A check-in from an identity whose re-enrollment waits for an admin: 200 with nothing of
 * the device's record (a 401 would make it unenroll). What it sends is kept for approval.
 */
async function heldCheckin(ctx: Ctx, held: NonNullable<Awaited<ReturnType<typeof heldReEnrollmentOf>>>): Promise<MdmResponse> {
  if (held.device.identifier !== ctx.id.identifier)
    throw new MdmAuthError("checkin_cert_mismatch", `certificate ${ctx.cert.serial} waits for approval to re-enroll ${held.device.identifier}, not ${ctx.id.identifier}`);
  // CheckOut lands on the identity certificate alone, as for an enrolled device.
  if (ctx.type !== "CheckOut") {
    await checkBearer(ctx.req.authorization, ctx.cert, heldEnrollment(held), { channel: ctx.id.userChannelId ? "user" : "device", userEnrollment: ctx.id.userEnrollment });
  }
  const { dict } = ctx;
  const note = (what: string) => logOk(ctx, `${what} (identity ${ctx.cert.serial} waits for re-enrollment approval)`, held.newTokenId, "WARNING");
  switch (ctx.type) {
    case "TokenUpdate":
      if (!ctx.id.userChannelId) {
        await keepHeldCheckin(held.id, {
          pushToken: Buffer.from(dict.Token as Uint8Array).toString("hex"),
          pushMagic: dict.PushMagic as string,
          topic: dict.Topic as string,
          unlockToken: dict.UnlockToken instanceof Uint8Array ? dict.UnlockToken : undefined,
        });
      }
      await note("TokenUpdate kept for approval");
      return EMPTY_OK;
    case "SetBootstrapToken": {
      const t = dict.BootstrapToken;
      await keepHeldCheckin(held.id, { bootstrapToken: t instanceof Uint8Array ? t : null });
      await note("SetBootstrapToken kept for approval");
      return EMPTY_OK;
    }
    case "GetBootstrapToken":
      await note("GetBootstrapToken: no token");
      return plistResponse(buildPlist({}));
    case "CheckOut":
      await withdrawHeldReEnrollment(held);
      return EMPTY_OK;
    case "UserAuthenticate":
      return errorStatus(410, "Gone");
    default:
      return declarativeManagement(ctx);
  }
}

async function parseAndValidate(req: MdmRequest, identifierHint: { value: string | null }): Promise<{ dict: PlistDict; type: string; id: MessageIdentity & { identifier: string } }> {
  const dict = parsePlistDict(req.body, LIMITS.checkin);
  const id = messageIdentity(dict);
  identifierHint.value = id.identifier;
  const type = typeof dict.MessageType === "string" ? dict.MessageType : "";
  if (!(SUPPORTED_CHECKIN_TYPES as readonly string[]).includes(type)) {
    throw new AppError(400, "checkin_unknown_type", `unsupported check-in MessageType ${JSON.stringify(type).slice(0, 80)}`);
  }
  if (type !== "UserAuthenticate") {
    const errors = validateCheckin(type, dict, { userEnrollment: id.userEnrollment, channel: id.userChannelId ? "user" : "device" });
    if (errors.length) throw new AppError(400, "checkin_malformed", `${type} does not match Apple's schema: ${errors.slice(0, 10).join("; ")}`);
  }
  if (!id.identifier) throw new AppError(400, "checkin_malformed", `${type} carries neither UDID nor EnrollmentID`);
  return { dict, type, id: { ...id, identifier: id.identifier } };
}

/** Handles one check-in request end to end; never throws for bad input. */
export async function handleCheckin(req: MdmRequest): Promise<MdmResponse> {
  const hint: { value: string | null } = { value: null };
  let cert: CertificateRow | null = null;
  try {
    const identity = await authenticateIdentity(req.body, req);
    cert = identity.cert;
    const { dict, type, id } = await parseAndValidate(req, hint);
    const ctx: Ctx = { req, cert, dict, type, id };
    if (type === "Authenticate") return await authenticate(ctx);
    const held = await heldReEnrollmentOf(cert);
    if (held) return await heldCheckin(ctx, held);
    const device = await boundDevice(cert, id.identifier, identity.boundTo);
    ctx.tokenId = device.tokenId;
    // A device sends CheckOut once: its identity certificate is enough, whatever its access token.
    if (type === "CheckOut") return await checkOut(ctx, device);
    const channel = id.userChannelId ? "user" : "device";
    await checkBearer(req.authorization, cert, device, { channel });
    if (id.userChannelId) {
      const m = { req, device, dict, userChannelId: id.userChannelId, tokenId: ctx.tokenId ?? null };
      if (type === "UserAuthenticate") return await userAuthenticate(m);
      if (type === "TokenUpdate") return await userTokenUpdate(m);
      if (type === "DeclarativeManagement") return await declarativeManagement(ctx);
      if (type === "GetToken") return await getToken(ctx);
      throw new AppError(400, "checkin_malformed", `${type} is not a user-channel message`);
    }
    switch (type) {
      case "UserAuthenticate":
        throw new AppError(400, "checkin_malformed", "UserAuthenticate carries no UserID");
      case "TokenUpdate":
        return await tokenUpdate(ctx, device);
      case "SetBootstrapToken":
        return await setBootstrapToken(ctx, device);
      case "GetBootstrapToken":
        return await getBootstrapToken(ctx, device);
      case "GetToken":
        return await getToken(ctx);
      default:
        return await declarativeManagement(ctx);
    }
  } catch (err) {
    return failure(err, req, hint.value, cert, "check-in");
  }
}

/** Maps a failure to the device's status and one enrollment-log line. */
export async function failure(err: unknown, req: MdmRequest, identifier: string | null, cert: CertificateRow | null, what: string): Promise<MdmResponse> {
  if (err instanceof MdmAuthError) {
    const known = cert ?? err.cert;
    const who = await refusedRequestDevice(req.body, identifier, known);
    return unauthorizedResponse(err, { identifier: who.identifier, note: who.note, tokenId: known?.enrollmentTokenId, remoteAddr: req.remoteAddr, what });
  }
  if (err instanceof AppError && err.status < 500) {
    const reason = err.code === "checkin_unknown_type" ? "checkin_unknown_type" : err.status === 413 ? "body_too_large" : "checkin_malformed";
    await writeEnrollmentLog({
      step: what === "check-in" ? "checkin" : "command",
      outcome: "ERROR",
      reason,
      message: `${what} rejected (${err.status}): ${err.message}`,
      deviceIdentifier: identifier,
      tokenId: cert?.enrollmentTokenId ?? null,
      remoteAddr: req.remoteAddr,
    });
    return errorStatus(err.status, err.message);
  }
  log.error(`${what} failed`, { err, device: identifier });
  return errorStatus(500, "internal error");
}
