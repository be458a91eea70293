// The command protocol (PUT /mdm/connect): the device reports Idle or the result of a
// command, and gets the next queued command or an empty 200. Results update the device
// (ProfileList, DeviceInformation, SecurityInfo, InstalledApplicationList); the first
// Acknowledged command completes management (ENROLLED → MANAGED).
import { certificatePolicyResult } from "./certificateRedistribution";
import type { Device } from "../db/generated/sqlite/client";
import { db } from "../db/client";
import { AppError } from "../errors";
import { LIMITS, type OversizeBody } from "../http/body";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { log } from "../log/logger";
import type { CertificateRow } from "../pki/certificates";
import { validateCommandResponse } from "../profiles/appleSchema";
import { failure } from "./checkin";
import { isAllowedCommandType } from "./commandPayload";
import { cancelLiveCommands, LIVE_STATUSES, maybePruneCommandHistory, nextCommand } from "./commands";
import { enrollmentProfileIdentifier } from "./deviceActions";
import { recordAttestation } from "./deviceAttestation";
import { authenticateIdentity, MdmAuthError } from "./identity";
import { boundDevice, checkBearer, EMPTY_OK, errorStatus, messageIdentity, plistResponse, type MdmRequest, type MdmResponse } from "./mdmRequest";
import { parsePlistDict, plistToJson, type PlistDict, type PlistValue } from "../plist/plist";
import { heldEnrollment, heldReEnrollmentOf } from "./reenrollment";
import { userChannelPoll } from "./userChannel";

const STATUS_MAP = {
  Acknowledged: "ACKNOWLEDGED",
  Error: "ERROR",
  CommandFormatError: "FORMAT_ERROR",
  NotNow: "NOT_NOW",
} as const;
type ReportStatus = keyof typeof STATUS_MAP | "Idle";

const LAST_SEEN_RESOLUTION_MS = 60_000;

const ENVELOPE_KEYS = new Set(["Status", "UDID", "EnrollmentID", "EnrollmentUserID", "UserID", "UserShortName", "UserLongName", "CommandUUID", "ErrorChain", "RequestType"]);

function responseKeys(dict: PlistDict): PlistDict {
  const out: PlistDict = {};
  for (const [k, v] of Object.entries(dict)) if (!ENVELOPE_KEYS.has(k)) out[k] = v;
  return out;
}

function mergeInfo(current: string | null, key: string, value: unknown): string {
  let info: Record<string, unknown> = {};
  try {
    info = current ? (JSON.parse(current) as Record<string, unknown>) : {};
  } catch {
    info = {};
  }
  info[key] = value;
  info.updatedAt = new Date().toISOString();
  return JSON.stringify(info);
}

const str = (v: PlistValue | undefined): string | undefined => (typeof v === "string" && v !== "" ? v.slice(0, 256) : undefined);

/** Applies an acknowledged command's answer to the device record. */
async function applyResult(device: Device, requestType: string, dict: PlistDict): Promise<void> {
  switch (requestType) {
    case "ProfileList": {
      if (!Array.isArray(dict.ProfileList)) return;
      const installedProfiles = JSON.stringify(plistToJson(dict.ProfileList));
      // The usual answer is the list already stored: no write for it.
      if (installedProfiles !== device.installedProfiles) await db().device.update({ where: { id: device.id }, data: { installedProfiles } });
      return;
    }
    case "DeviceInformation": {
      const q = dict.QueryResponses;
      if (!q || typeof q !== "object" || Array.isArray(q) || q instanceof Uint8Array || q instanceof Date) return;
      const r = q as PlistDict;
      await db().device.update({
        where: { id: device.id },
        data: {
          info: mergeInfo(device.info, "DeviceInformation", plistToJson(r)),
          deviceName: str(r.DeviceName),
          osVersion: str(r.OSVersion),
          buildVersion: str(r.BuildVersion),
          modelName: str(r.ModelName),
          model: str(r.Model),
          productName: str(r.ProductName),
          serialNumber: str(r.SerialNumber),
        },
      });
      if (r.DevicePropertiesAttestation !== undefined) {
        // Judged against the record as just updated (serial from this same answer is the device's claim; Apple's is the evidence).
        const fresh = await db().device.findUnique({ where: { id: device.id } });
        if (fresh) await recordAttestation({ ...fresh, serialNumber: device.serialNumber ?? fresh.serialNumber }, r);
      }
      return;
    }
    case "SecurityInfo":
      if (dict.SecurityInfo) await db().device.update({ where: { id: device.id }, data: { info: mergeInfo(device.info, "SecurityInfo", plistToJson(dict.SecurityInfo)) } });
      return;
    case "InstalledApplicationList":
      if (Array.isArray(dict.InstalledApplicationList)) {
        await db().device.update({ where: { id: device.id }, data: { info: mergeInfo(device.info, "InstalledApplicationList", plistToJson(dict.InstalledApplicationList)) } });
      }
      return;
  }
}

function removesEnrollmentProfile(payload: string, installed: string | null): boolean {
  const mdmProfile = enrollmentProfileIdentifier(installed);
  if (!mdmProfile) return false;
  try {
    const command = parsePlistDict(new TextEncoder().encode(payload), LIMITS.json * 64).Command as PlistDict | undefined;
    return command?.Identifier === mdmProfile;
  } catch {
    return false;
  }
}

async function record(device: Device, status: keyof typeof STATUS_MAP, dict: PlistDict, req: MdmRequest): Promise<void> {
  const uuid = typeof dict.CommandUUID === "string" ? dict.CommandUUID : "";
  if (!uuid) throw new AppError(400, "checkin_malformed", `Status ${status} without CommandUUID`);
  const finished = status !== "NotNow";
  const errorChain = Array.isArray(dict.ErrorChain) ? JSON.stringify(plistToJson(dict.ErrorChain)) : null;
  // A finished command is final: a late NotNow, Error or repeated answer changes nothing.
  // One statement on the usual path: the live command is updated and read back together.
  const [cmd] = await db().command.updateManyAndReturn({
    where: { uuid, deviceId: device.id, status: { in: [...LIVE_STATUSES] } },
    data: {
      status: STATUS_MAP[status],
      result: finished ? new TextDecoder().decode(req.body) : null,
      errorChain,
      completedAt: finished ? new Date() : null,
    },
    select: { uuid: true, requestType: true, payload: true, policyId: true },
  });
  if (!cmd) {
    const known = await db().command.findFirst({ where: { uuid, deviceId: device.id }, select: { requestType: true, uuid: true, status: true } });
    if (!known) {
      await writeEnrollmentLog({
        step: "command",
        outcome: "WARNING",
        message: `result ${status} for unknown command ${uuid.slice(0, 64)}`,
        deviceIdentifier: device.identifier,
        remoteAddr: req.remoteAddr,
      });
      return;
    }
    await writeEnrollmentLog({
      step: "command",
      outcome: "WARNING",
      message: `late ${status} for ${known.requestType} ${known.uuid}, already ${known.status}; ignored`,
      deviceIdentifier: device.identifier,
      tokenId: device.tokenId,
      remoteAddr: req.remoteAddr,
    });
    return;
  }
  await certificatePolicyResult(device, cmd, status, dict);
  if (status === "Acknowledged") {
    const keys = responseKeys(dict);
    const problems = validateCommandResponse(cmd.requestType, keys);
    if (problems.length) log.warn("command response does not match Apple's schema", { device: device.identifier, requestType: cmd.requestType, problems: problems.slice(0, 5) });
    await applyResult(device, cmd.requestType, dict);
    // Actions and Owner-sent commands show their result on the device's timeline; the
    // policy/inventory types would flood it.
    if (!isAllowedCommandType(cmd.requestType)) {
      await writeEnrollmentLog({
        step: "command",
        outcome: "OK",
        message: `${cmd.requestType} ${cmd.uuid}: Acknowledged`,
        deviceIdentifier: device.identifier,
        tokenId: device.tokenId,
        remoteAddr: req.remoteAddr,
      });
    }
    if (cmd.requestType === "RemoveProfile" && removesEnrollmentProfile(cmd.payload, device.installedProfiles)) {
      // Remove management: the MDM profile is gone, so is management (the device may not send CheckOut).
      const dropped = await cancelLiveCommands(device.id);
      await db().device.update({ where: { id: device.id }, data: { status: "UNENROLLED" } });
      await writeEnrollmentLog({
        step: "command",
        outcome: "OK",
        message: `RemoveProfile acknowledged: enrollment profile removed; device unenrolled${dropped ? `, ${dropped} queued command(s) dropped` : ""}`,
        deviceIdentifier: device.identifier,
        tokenId: device.tokenId,
        remoteAddr: req.remoteAddr,
      });
      device.status = "UNENROLLED";
      return;
    }
    if (device.status === "ENROLLED") {
      await db().device.update({ where: { id: device.id }, data: { status: "MANAGED" } });
      await writeEnrollmentLog({
        step: "command",
        outcome: "OK",
        message: `${cmd.requestType} acknowledged: device is managed`,
        deviceIdentifier: device.identifier,
        tokenId: device.tokenId,
        remoteAddr: req.remoteAddr,
      });
      device.status = "MANAGED";
    }
  } else if (status !== "NotNow") {
    await writeEnrollmentLog({
      step: "command",
      outcome: "WARNING",
      message: `${cmd.requestType} ${cmd.uuid}: ${status}${errorChain ? ` ${errorChain.slice(0, 500)}` : ""}`,
      deviceIdentifier: device.identifier,
      tokenId: device.tokenId,
      remoteAddr: req.remoteAddr,
    });
  }
}

/** The CommandUUID of an XML report, from its first bytes (devices sort keys, so it comes early). */
function commandUuidInHead(head: Uint8Array): string | null {
  const m = /<key>CommandUUID<\/key>\s*<string>([^<]{1,128})<\/string>/.exec(new TextDecoder().decode(head));
  return m ? m[1].trim() : null;
}

/**
 * A report above the size limit: checked for its signature by digest, then the command it
 * answers (its CommandUUID, else the device's last command sent) is marked failed with the
 * reason, so it is not sent again and again; the device gets its next command.
 */
async function oversizedReport(req: MdmRequest, over: OversizeBody): Promise<MdmResponse> {
  const what = `command report of ${over.size} bytes exceeds the ${LIMITS.command}-byte limit`;
  const tooLarge = async (why: string, identifier: string | null, tokenId: string | null) => {
    await writeEnrollmentLog({
      step: "command",
      outcome: "ERROR",
      reason: "body_too_large",
      message: `command report rejected (413): ${what}; ${why}`,
      deviceIdentifier: identifier,
      tokenId,
      remoteAddr: req.remoteAddr,
    });
    return errorStatus(413, `request body exceeds ${LIMITS.command} bytes`);
  };
  let cert: CertificateRow;
  try {
    cert = (await authenticateIdentity(over.digest ?? req.body, req)).cert;
  } catch (err) {
    // Nobody to attribute it to: refused for its size, as any oversized body.
    if (err instanceof MdmAuthError) return tooLarge(`its sender could not be verified (${err.message})`, null, null);
    throw err;
  }
  if (!cert.deviceId) {
    if (await heldReEnrollmentOf(cert)) return EMPTY_OK;
    throw new MdmAuthError("checkin_unauthenticated", `certificate ${cert.serial} never authenticated`);
  }
  const bound = await db().device.findUnique({ where: { id: cert.deviceId }, select: { identifier: true } });
  if (!bound) throw new MdmAuthError("checkin_cert_mismatch", `certificate ${cert.serial} belongs to no device`);
  const device = await boundDevice(cert, bound.identifier);
  await checkBearer(req.authorization, cert, device);
  const uuid = commandUuidInHead(req.body);
  const live = { in: [...LIVE_STATUSES] };
  const cmd = uuid
    ? await db().command.findFirst({ where: { uuid, deviceId: device.id, status: live } })
    : await db().command.findFirst({ where: { deviceId: device.id, status: "SENT" }, orderBy: { sentAt: "desc" } });
  if (!cmd) return tooLarge(`it answers no command waiting for an answer${uuid ? ` (CommandUUID ${uuid.slice(0, 64)})` : ""}`, device.identifier, device.tokenId);
  const reason = `The device's result (${over.size} bytes) exceeds the server's ${LIMITS.command}-byte limit for command reports; the command was marked failed and is not sent again.`;
  await db().command.updateMany({
    where: { id: cmd.id, status: live },
    data: { status: "ERROR", result: null, errorChain: JSON.stringify([{ ErrorDomain: "OpenEnroll", ErrorCode: 413, LocalizedDescription: reason }]), completedAt: new Date() },
  });
  await writeEnrollmentLog({
    step: "command",
    outcome: "ERROR",
    reason: "command_report_too_large",
    message: `${cmd.requestType} ${cmd.uuid} failed: ${what}${uuid ? "" : " (no CommandUUID in its first bytes: the command last sent to the device)"}`,
    deviceIdentifier: device.identifier,
    tokenId: device.tokenId,
    remoteAddr: req.remoteAddr,
  });
  const next = await nextCommand(device.id);
  return next ? plistResponse(next.payload) : EMPTY_OK;
}

/** Handles one command-endpoint request end to end; never throws for bad input. */
export async function handleConnect(req: MdmRequest): Promise<MdmResponse> {
  let identifier: string | null = null;
  let cert: CertificateRow | null = null;
  try {
    if (req.oversize) return await oversizedReport(req, req.oversize);
    const identity = await authenticateIdentity(req.body, req);
    cert = identity.cert;
    const dict = parsePlistDict(req.body, LIMITS.command);
    const id = messageIdentity(dict);
    identifier = id.identifier;
    const status = dict.Status as ReportStatus;
    if (typeof status !== "string" || (status !== "Idle" && !Object.hasOwn(STATUS_MAP, status)))
      throw new AppError(400, "checkin_malformed", `unknown Status ${JSON.stringify(dict.Status ?? null).slice(0, 60)}`);
    if (!id.identifier) throw new AppError(400, "checkin_malformed", "report carries neither UDID nor EnrollmentID");
    const held = await heldReEnrollmentOf(cert);
    if (held) {
      // Waiting for an admin: nothing to do (a 401 would make the device unenroll).
      if (held.device.identifier !== id.identifier)
        throw new MdmAuthError("checkin_cert_mismatch", `certificate ${cert.serial} waits for approval to re-enroll ${held.device.identifier}, not ${id.identifier}`);
      await checkBearer(req.authorization, cert, heldEnrollment(held), { channel: id.userChannelId ? "user" : "device", userEnrollment: id.userEnrollment });
      return EMPTY_OK;
    }
    const device = await boundDevice(cert, id.identifier, identity.boundTo);
    await checkBearer(req.authorization, cert, device, { channel: id.userChannelId ? "user" : "device" });
    if (device.status === "UNENROLLED") return EMPTY_OK;
    if (id.userChannelId) return await userChannelPoll({ req, device, dict, userChannelId: id.userChannelId, tokenId: device.tokenId }, status);
    // "Last seen" to the minute: no write per poll for devices that poll often; and the
    // first poll after a push marks it answered (rePush.ts stops pushing again).
    if (!device.lastSeenAt || Date.now() - device.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS || device.pushesUnanswered > 0) {
      await db().device.update({ where: { id: device.id }, data: { lastSeenAt: new Date(), pushesUnanswered: 0 } });
    }
    if (status !== "Idle") await record(device, status, dict, req);
    const next = await nextCommand(device.id, { skipNotNow: status === "NotNow" });
    void maybePruneCommandHistory().catch((err) => log.error("command history prune failed", { err }));
    return next ? plistResponse(next.payload) : EMPTY_OK;
  } catch (err) {
    return failure(err, req, identifier, cert, "command report");
  }
}
