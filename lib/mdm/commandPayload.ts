// Building MDM command plists: { CommandUUID, Command: { RequestType, ...keys } }, checked
// against Apple's command schema before anything is queued, so a device never receives a
// command it would answer with CommandFormatError because of us.
import crypto from "node:crypto";
import { AppError } from "../errors";
import { validateCommand } from "../profiles/appleSchema";
import { buildPlist, type PlistDict, type PlistValue } from "../plist/plist";

/** The commands an admin may attach to a group as a policy or send from the API. */
export const ALLOWED_COMMAND_TYPES = ["DeviceInformation", "ProfileList", "InstalledApplicationList", "SecurityInfo", "InstallProfile", "RemoveProfile"] as const;
export type AllowedCommandType = (typeof ALLOWED_COMMAND_TYPES)[number];

export function isAllowedCommandType(t: string): t is AllowedCommandType {
  return (ALLOWED_COMMAND_TYPES as readonly string[]).includes(t);
}

/** Queries asked when a DeviceInformation command names none. */
export const DEFAULT_DEVICE_INFORMATION_QUERIES = [
  "DeviceName",
  "OSVersion",
  "BuildVersion",
  "ModelName",
  "Model",
  "ProductName",
  "SerialNumber",
  "UDID",
  "DeviceCapacity",
  "AvailableDeviceCapacity",
  "BatteryLevel",
  "IsSupervised",
  "IsActivationLockEnabled",
  "WiFiMAC",
  "BluetoothMAC",
];

export interface BuiltCommand {
  uuid: string;
  requestType: string;
  dict: PlistDict;
  xml: string;
}

function toPlistValue(v: unknown, at: string): PlistValue {
  if (v === null || v === undefined) throw new AppError(400, "invalid_command", `${at}: null is not a plist value`);
  if (typeof v === "string" || typeof v === "boolean" || v instanceof Uint8Array || v instanceof Date) return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new AppError(400, "invalid_command", `${at}: not a finite number`);
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => toPlistValue(x, `${at}[${i}]`));
  if (typeof v === "object") {
    const out: PlistDict = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === "__proto__") throw new AppError(400, "invalid_command", `${at}: key "__proto__" is not allowed`);
      out[k] = toPlistValue(x, `${at}.${k}`);
    }
    return out;
  }
  throw new AppError(400, "invalid_command", `${at}: unsupported value type ${typeof v}`);
}

/** Keys that Apple types as <data>, given as base64 strings by JSON callers. */
const DATA_KEYS: Record<string, string[]> = { InstallProfile: ["Payload"], DeviceInformation: ["DeviceAttestationNonce"] };

export function normalizeCommandParams(requestType: string, params: Record<string, unknown> = {}): PlistDict {
  const out = toPlistValue(params, requestType) as PlistDict;
  for (const k of Object.hasOwn(DATA_KEYS, requestType) ? DATA_KEYS[requestType] : []) {
    const v = out[k];
    if (typeof v === "string") {
      if (!/^[A-Za-z0-9+/=\s]*$/.test(v)) throw new AppError(400, "invalid_command", `${requestType}.${k}: expected base64 data`);
      out[k] = new Uint8Array(Buffer.from(v, "base64"));
    }
  }
  if (requestType === "DeviceInformation" && out.Queries === undefined) out.Queries = [...DEFAULT_DEVICE_INFORMATION_QUERIES];
  return out;
}

/** Builds and validates a command; throws AppError 400 invalid_command listing the schema errors. */
export function buildCommand(requestType: string, params: Record<string, unknown> = {}, uuid: string = crypto.randomUUID().toUpperCase()): BuiltCommand {
  if (!/^[A-Za-z][A-Za-z0-9.]{0,80}$/.test(requestType)) throw new AppError(400, "invalid_command", "RequestType is not a valid command name");
  const keys = normalizeCommandParams(requestType, params);
  if ("RequestType" in keys) delete keys.RequestType;
  const dict: PlistDict = { CommandUUID: uuid, Command: { RequestType: requestType, ...keys } };
  const errors = validateCommand(requestType, dict);
  if (errors.length) throw new AppError(400, "invalid_command", `command does not match Apple's schema: ${errors.join("; ")}`);
  return { uuid, requestType, dict, xml: buildPlist(dict) };
}
