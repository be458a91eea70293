// The command protocol (PUT /mdm/connect): the device reports Idle or the result of a
// command, and gets the next queued command or an empty 200. Results update the device
// (ProfileList, DeviceInformation, SecurityInfo, InstalledApplicationList); the first
// Acknowledged command completes management (ENROLLED → MANAGED).
import type { Device } from "../db/generated/sqlite/client";
import { db } from "../db/client";
import { AppError } from "../errors";
import { LIMITS } from "../http/body";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { log } from "../log/logger";
import type { CertificateRow } from "../pki/certificates";
import { validateCommandResponse } from "../profiles/appleSchema";
import { failure } from "./checkin";
import { isAllowedCommandType } from "./commandPayload";
import { cancelLiveCommands, maybePruneCommandHistory, nextCommand } from "./commands";
import { enrollmentProfileIdentifier } from "./deviceActions";
import { authenticateIdentity } from "./identity";
import { boundDevice, checkBearer, EMPTY_OK, messageIdentity, plistResponse, type MdmRequest, type MdmResponse } from "./mdmRequest";
import { parsePlistDict, plistToJson, type PlistDict, type PlistValue } from "../plist/plist";
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
    case "ProfileList":
      if (Array.isArray(dict.ProfileList)) await db().device.update({ where: { id: device.id }, data: { installedProfiles: JSON.stringify(plistToJson(dict.ProfileList)) } });
      return;
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
  const cmd = await db().command.findFirst({ where: { uuid, deviceId: device.id } });
  if (!cmd) {
    await writeEnrollmentLog({ step: "command", outcome: "WARNING", message: `result ${status} for unknown command ${uuid.slice(0, 64)}`, deviceIdentifier: device.identifier, remoteAddr: req.remoteAddr });
    return;
  }
  const finished = status !== "NotNow";
  const errorChain = Array.isArray(dict.ErrorChain) ? JSON.stringify(plistToJson(dict.ErrorChain)) : null;
  await db().command.update({
    where: { id: cmd.id },
    data: {
      status: STATUS_MAP[status],
      result: finished ? new TextDecoder().decode(req.body) : null,
      errorChain,
      completedAt: finished ? new Date() : null,
    },
  });
  if (status === "Acknowledged") {
    const keys = responseKeys(dict);
    const problems = validateCommandResponse(cmd.requestType, keys);
    if (problems.length) log.warn("command response does not match Apple's schema", { device: device.identifier, requestType: cmd.requestType, problems: problems.slice(0, 5) });
    await applyResult(device, cmd.requestType, dict);
    // Actions and Owner-sent commands show their result on the device's timeline; the
    // policy/inventory types would flood it.
    if (!isAllowedCommandType(cmd.requestType)) {
      await writeEnrollmentLog({ step: "command", outcome: "OK", message: `${cmd.requestType} ${cmd.uuid}: Acknowledged`, deviceIdentifier: device.identifier, tokenId: device.tokenId, remoteAddr: req.remoteAddr });
    }
    if (cmd.requestType === "RemoveProfile" && removesEnrollmentProfile(cmd.payload, device.installedProfiles)) {
      // Remove management: the MDM profile is gone, so is management (the device may not send CheckOut).
      const dropped = await cancelLiveCommands(device.id);
      await db().device.update({ where: { id: device.id }, data: { status: "UNENROLLED" } });
      await writeEnrollmentLog({ step: "command", outcome: "OK", message: `RemoveProfile acknowledged: enrollment profile removed; device unenrolled${dropped ? `, ${dropped} queued command(s) dropped` : ""}`, deviceIdentifier: device.identifier, tokenId: device.tokenId, remoteAddr: req.remoteAddr });
      device.status = "UNENROLLED";
      return;
    }
    if (device.status === "ENROLLED") {
      await db().device.update({ where: { id: device.id }, data: { status: "MANAGED" } });
      await writeEnrollmentLog({ step: "command", outcome: "OK", message: `${cmd.requestType} acknowledged: device is managed`, deviceIdentifier: device.identifier, tokenId: device.tokenId, remoteAddr: req.remoteAddr });
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

/** Handles one command-endpoint request end to end; never throws for bad input. */
export async function handleConnect(req: MdmRequest): Promise<MdmResponse> {
  let identifier: string | null = null;
  let cert: CertificateRow | null = null;
  try {
    cert = (await authenticateIdentity(req.body, req)).cert;
    const dict = parsePlistDict(req.body, LIMITS.command);
    const id = messageIdentity(dict);
    identifier = id.identifier;
    const status = dict.Status as ReportStatus;
    if (typeof status !== "string" || (status !== "Idle" && !Object.hasOwn(STATUS_MAP, status))) throw new AppError(400, "checkin_malformed", `unknown Status ${JSON.stringify(dict.Status ?? null).slice(0, 60)}`);
    if (!id.identifier) throw new AppError(400, "checkin_malformed", "report carries neither UDID nor EnrollmentID");
    const device = await boundDevice(cert, id.identifier);
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
