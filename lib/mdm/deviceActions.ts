// Admin actions on one device (lock, erase, restart…): which are offered is derived from
// Apple's command schemas (supportedOS: the platform, `supervised`, `userenrollment.mode`,
// device channel), in this one place, so the portal and the API agree. Each action is a
// schema-validated command queued like any other; it is audited by the caller and leaves
// a line on the device's timeline (the enrollment log), as does its result (connect.ts).
import { db } from "../db/client";
import { AppError, notFound } from "../errors";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { commandSupport, type AppleOS, type OsSupport } from "../profiles/appleSchema";
import { unsealBytes } from "../secrets/sealed";
import { SEALED_CONTEXT } from "./reenrollment";
import { attestSupport } from "../attestation/deviceSupport";
import { enqueueCommand } from "./commands";
import { requestDeviceAttestation } from "./deviceAttestation";

export const DEVICE_ACTIONS = [
  "lock",
  "erase",
  "restart",
  "shutdown",
  "clear-passcode",
  "enable-lost-mode",
  "disable-lost-mode",
  "request-location",
  "update-inventory",
  "request-attestation",
  "remove-management",
  "rename",
] as const;
export type DeviceAction = (typeof DEVICE_ACTIONS)[number];

export function isDeviceAction(v: string): v is DeviceAction {
  return (DEVICE_ACTIONS as readonly string[]).includes(v);
}

interface ActionSpec {
  requestType: string;
  label: string;
  /** A key (or Settings item) whose own supportedOS narrows the command's. */
  item?: string;
}

export const ACTION_SPECS: Record<DeviceAction, ActionSpec> = {
  lock: { requestType: "DeviceLock", label: "Lock" },
  erase: { requestType: "EraseDevice", label: "Erase" },
  restart: { requestType: "RestartDevice", label: "Restart" },
  shutdown: { requestType: "ShutDownDevice", label: "Shut down" },
  "clear-passcode": { requestType: "ClearPasscode", label: "Clear passcode" },
  "enable-lost-mode": { requestType: "EnableLostMode", label: "Enable Lost Mode" },
  "disable-lost-mode": { requestType: "DisableLostMode", label: "Disable Lost Mode" },
  "request-location": { requestType: "DeviceLocation", label: "Request location" },
  "update-inventory": { requestType: "DeviceInformation", label: "Update inventory now" },
  "request-attestation": { requestType: "DeviceInformation", label: "Request attestation" },
  "remove-management": { requestType: "RemoveProfile", label: "Remove management" },
  rename: { requestType: "Settings", label: "Rename", item: "DeviceName" },
};

/** What the schema rules need to know about a device. */
export interface ActionDevice {
  platform: string | null;
  enrollmentType: string;
  /** IsSupervised from the last DeviceInformation answer; null when unknown. */
  supervised: boolean | null;
  hasUnlockToken: boolean;
  /** Model and OS can attest (Managed Device Attestation); false when unknown. */
  canAttest?: boolean;
}

/** Our platform names to the schemas' OS keys (iPadOS is "iOS" there). */
function schemaOs(platform: string | null): AppleOS | null {
  if (platform === "iOS" || platform === "iPadOS") return "iOS";
  if (platform === "macOS" || platform === "tvOS" || platform === "visionOS" || platform === "watchOS") return platform;
  return null;
}

function allowedBy(support: Partial<Record<AppleOS, OsSupport | null>> | null, d: ActionDevice): boolean {
  if (!support) return false;
  const os = schemaOs(d.platform);
  const ok = (s: OsSupport | null | undefined): boolean => {
    if (!s || s.introduced === "n/a") return false;
    if (d.enrollmentType === "USER_ENROLLMENT" && s.userenrollment?.mode === "forbidden") return false;
    if (s.supervised === true && d.supervised !== true) return false;
    // Device actions go to the device channel.
    if (s.devicechannel === false) return false;
    return true;
  };
  if (os) return ok(support[os]);
  // Unknown platform (no DeviceInformation yet): only what every OS that has the command allows.
  const entries = Object.values(support).filter((s) => s && s.introduced !== "n/a");
  return entries.length > 0 && entries.every(ok);
}

/** The actions Apple's schemas allow for this device. */
export function availableActions(d: ActionDevice): DeviceAction[] {
  return DEVICE_ACTIONS.filter((a) => {
    const spec = ACTION_SPECS[a];
    if (!allowedBy(commandSupport(spec.requestType), d)) return false;
    if (spec.item && !allowedBy(commandSupport(spec.requestType, spec.item), d)) return false;
    if (a === "clear-passcode" && !d.hasUnlockToken) return false;
    if (a === "request-attestation" && !d.canAttest) return false;
    return true;
  });
}

interface DeviceRowForAction {
  id: string;
  identifier: string;
  platform: string | null;
  enrollmentType: string;
  status: string;
  tokenId: string | null;
  info: string | null;
  installedProfiles: string | null;
  unlockTokenEnc: string | null;
  productName?: string | null;
  osVersion?: string | null;
  buildVersion?: string | null;
}

function supervisedOf(info: string | null): boolean | null {
  try {
    const v = (JSON.parse(info ?? "{}") as { DeviceInformation?: { IsSupervised?: unknown } }).DeviceInformation?.IsSupervised;
    return typeof v === "boolean" ? v : null;
  } catch {
    return null;
  }
}

export function actionDevice(d: Pick<DeviceRowForAction, "platform" | "enrollmentType" | "info" | "unlockTokenEnc" | "productName" | "osVersion" | "buildVersion">): ActionDevice {
  const canAttest = attestSupport({ product: d.productName, osVersion: d.osVersion, buildVersion: d.buildVersion }).ok;
  return { platform: d.platform, enrollmentType: d.enrollmentType, supervised: supervisedOf(d.info), hasUnlockToken: !!d.unlockTokenEnc, canAttest };
}

/** The identifier of the installed profile that carries the MDM payload (from ProfileList). */
export function enrollmentProfileIdentifier(installed: string | null): string | null {
  try {
    const list = JSON.parse(installed ?? "[]") as { PayloadIdentifier?: unknown; PayloadContent?: { PayloadType?: unknown }[] }[];
    const p = list.find((x) => Array.isArray(x.PayloadContent) && x.PayloadContent.some((c) => c?.PayloadType === "com.apple.mdm"));
    return typeof p?.PayloadIdentifier === "string" ? p.PayloadIdentifier : null;
  } catch {
    return null;
  }
}

/** The admin's choices for an action; only the keys that action uses are read. */
export interface ActionInput {
  message?: string;
  phoneNumber?: string;
  footnote?: string;
  pin?: string;
  returnToService?: boolean;
  deviceName?: string;
}

const bad = (message: string) => new AppError(400, "invalid_action", message);

function trimmed(v: string | undefined, max: number, what: string): string | undefined {
  const t = v?.trim();
  if (!t) return undefined;
  if (t.length > max) throw bad(`${what} is longer than ${max} characters`);
  return t;
}

function paramsFor(action: DeviceAction, input: ActionInput, d: DeviceRowForAction): Record<string, unknown> {
  switch (action) {
    case "lock": {
      const p: Record<string, unknown> = {};
      const message = trimmed(input.message, 500, "message");
      const phone = trimmed(input.phoneNumber, 64, "phone number");
      if (message) p.Message = message;
      if (phone) p.PhoneNumber = phone;
      // Macs lock with a Find My PIN (six digits) the user types to unlock.
      if (schemaOs(d.platform) === "macOS") p.PIN = sixDigitPin(input.pin, true);
      return p;
    }
    case "erase": {
      const p: Record<string, unknown> = {};
      // Macs without Apple silicon or a T2 chip need a Find My PIN to unlock after erase.
      const pin = sixDigitPin(input.pin, false);
      if (pin) p.PIN = pin;
      if (input.returnToService) p.ReturnToService = { Enabled: true };
      return p;
    }
    case "clear-passcode": {
      if (!d.unlockTokenEnc) throw new AppError(409, "no_unlock_token", "the device has not escrowed an unlock token");
      return { UnlockToken: new Uint8Array(unsealBytes(d.unlockTokenEnc, SEALED_CONTEXT.unlock)) };
    }
    case "enable-lost-mode": {
      const message = trimmed(input.message, 500, "message");
      const phone = trimmed(input.phoneNumber, 64, "phone number");
      const footnote = trimmed(input.footnote, 200, "footnote");
      if (!message && !phone) throw bad("Lost Mode needs a message or a phone number");
      return { ...(message ? { Message: message } : {}), ...(phone ? { PhoneNumber: phone } : {}), ...(footnote ? { Footnote: footnote } : {}) };
    }
    case "update-inventory":
      return {};
    case "remove-management": {
      const identifier = enrollmentProfileIdentifier(d.installedProfiles);
      if (!identifier) throw new AppError(409, "enrollment_profile_unknown", "the device has not reported its profile list yet: update inventory first");
      return { Identifier: identifier };
    }
    case "rename": {
      const name = trimmed(input.deviceName, 255, "device name");
      if (!name) throw bad("deviceName is required");
      return { Settings: [{ Item: "DeviceName", DeviceName: name }] };
    }
    default:
      return {};
  }
}

function sixDigitPin(pin: string | undefined, required: boolean): string | undefined {
  const t = pin?.trim();
  if (!t) {
    if (required) throw bad("a six-digit PIN is required for a Mac");
    return undefined;
  }
  if (!/^[0-9]{6}$/.test(t)) throw bad("the PIN must be six digits");
  return t;
}

const SELECT = {
  id: true,
  identifier: true,
  platform: true,
  enrollmentType: true,
  status: true,
  tokenId: true,
  info: true,
  installedProfiles: true,
  unlockTokenEnc: true,
  productName: true,
  osVersion: true,
  buildVersion: true,
} as const;

/**
 * Queues an action for a device (database id or check-in identifier) after checking the
 * schemas allow it there. Returns the queued command; the caller audits.
 */
export async function performDeviceAction(key: string, action: DeviceAction, input: ActionInput, actor: string): Promise<{ uuid: string; requestType: string; deviceId: string }> {
  const d = await db().device.findFirst({ where: { OR: [{ id: key }, { identifier: key }] }, select: SELECT });
  if (!d) throw notFound("device");
  if (d.status === "UNENROLLED") throw new AppError(409, "device_unenrolled", "the device is unenrolled; it no longer accepts commands");
  if (!availableActions(actionDevice(d)).includes(action)) {
    throw new AppError(409, "action_not_supported", `${ACTION_SPECS[action].label} is not available for this device (platform, supervision or enrollment type)`);
  }
  const { requestType } = ACTION_SPECS[action];
  // Its nonce is kept with the device, so the answer can be checked for freshness.
  if (action === "request-attestation") return { ...(await requestDeviceAttestation(d.id, actor)), requestType };
  const { uuid } = await enqueueCommand(d.id, requestType, paramsFor(action, input, d));
  await writeEnrollmentLog({ step: "action", outcome: "OK", message: `${ACTION_SPECS[action].label} (${requestType} ${uuid}) queued by ${actor}`, deviceIdentifier: d.identifier, tokenId: d.tokenId });
  return { uuid, requestType, deviceId: d.id };
}
