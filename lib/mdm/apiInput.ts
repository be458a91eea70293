// Turning admin API request bodies into the MDM service's inputs (JSON or multipart for
// profile uploads), with 400s that say what is wrong.
import { AppError, badRequest } from "../errors";
import type { ActionInput } from "./deviceActions";
import type { PolicyInput } from "./policies";

const invalid = (message: string) => new AppError(400, "invalid_policy", message);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function decodeBase64(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string" || value.trim() === "" || !/^[A-Za-z0-9+/=\s]+$/.test(value)) throw invalid(`${what} must be base64`);
  return new Uint8Array(Buffer.from(value, "base64"));
}

/** A policy from JSON: { kind: "COMMAND", requestType, params?, name? } or { kind: "PROFILE", mobileconfig: base64, name? }. */
export function policyInputFromJson(raw: unknown): PolicyInput {
  if (!isRecord(raw)) throw invalid("body must be a JSON object");
  const name = typeof raw.name === "string" ? raw.name : undefined;
  if (raw.kind === "PROFILE") return { kind: "PROFILE", name, mobileconfig: decodeBase64(raw.mobileconfig, "mobileconfig") };
  if (raw.kind === "COMMAND") {
    if (typeof raw.requestType !== "string") throw invalid("requestType is required");
    if (raw.params !== undefined && !isRecord(raw.params)) throw invalid("params must be an object");
    return { kind: "COMMAND", name, requestType: raw.requestType, params: raw.params as Record<string, unknown> | undefined };
  }
  if (raw.kind === "CERTIFICATE") {
    const ext = typeof raw.externalScepProfileId === "string" ? raw.externalScepProfileId : undefined;
    const own = typeof raw.scepProfileId === "string" ? raw.scepProfileId : undefined;
    if (!ext && !own) throw invalid("externalScepProfileId or scepProfileId is required");
    if (raw.redistributeDays !== undefined && typeof raw.redistributeDays !== "number") throw invalid("redistributeDays must be a number of days");
    return { kind: "CERTIFICATE", name, externalScepProfileId: ext, scepProfileId: own, redistributeDays: raw.redistributeDays as number | undefined };
  }
  throw invalid('kind must be "PROFILE", "COMMAND" or "CERTIFICATE"');
}

/** A policy from a multipart upload: a `mobileconfig` file and an optional `name`. */
export async function policyInputFromForm(form: FormData): Promise<PolicyInput> {
  const file = form.get("mobileconfig");
  if (!file || typeof file === "string") throw invalid("form field mobileconfig (a file) is required");
  const name = form.get("name");
  return { kind: "PROFILE", name: typeof name === "string" ? name : undefined, mobileconfig: new Uint8Array(await file.arrayBuffer()) };
}

export interface CommandRequest {
  requestType: string;
  params?: Record<string, unknown>;
}

export function commandRequestFromJson(raw: unknown): CommandRequest {
  if (!isRecord(raw) || typeof raw.requestType !== "string") throw new AppError(400, "invalid_command", "requestType is required");
  if (raw.params !== undefined && !isRecord(raw.params)) throw new AppError(400, "invalid_command", "params must be an object");
  return { requestType: raw.requestType, params: raw.params as Record<string, unknown> | undefined };
}

export function groupInputFromJson(raw: unknown): { name: string; description?: string | null } {
  if (!isRecord(raw)) throw badRequest("invalid_group", "body must be a JSON object");
  if (raw.description !== undefined && raw.description !== null && typeof raw.description !== "string") throw badRequest("invalid_group", "description must be a string");
  return { name: typeof raw.name === "string" ? raw.name : "", description: raw.description as string | null | undefined };
}

export function groupUpdateFromJson(raw: unknown): { name?: string; description?: string | null } {
  if (!isRecord(raw)) throw badRequest("invalid_group", "body must be a JSON object");
  const out: { name?: string; description?: string | null } = {};
  if (raw.name !== undefined) {
    if (typeof raw.name !== "string") throw badRequest("invalid_group", "name must be a string");
    out.name = raw.name;
  }
  if (raw.description !== undefined) {
    if (raw.description !== null && typeof raw.description !== "string") throw badRequest("invalid_group", "description must be a string or null");
    out.description = raw.description as string | null;
  }
  return out;
}

export function policyOrderFromJson(raw: unknown): string[] {
  if (!isRecord(raw) || !Array.isArray(raw.orderedIds) || !raw.orderedIds.every((x) => typeof x === "string")) {
    throw new AppError(400, "invalid_order", "orderedIds must be an array of policy ids");
  }
  return raw.orderedIds as string[];
}

/** An action's options from the JSON body's bytes (an empty body means none): { message, phoneNumber, footnote, pin, returnToService, deviceName }. */
export function actionInputFromBody(bytes: Uint8Array): ActionInput {
  if (bytes.length === 0) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw badRequest("invalid_json", "request body is not valid JSON");
  }
  if (!isRecord(raw)) throw badRequest("invalid_action", "body must be a JSON object");
  const out: ActionInput = {};
  for (const k of ["message", "phoneNumber", "footnote", "pin", "deviceName"] as const) {
    const v = raw[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") throw badRequest("invalid_action", `${k} must be a string`);
    out[k] = v;
  }
  if (raw.returnToService !== undefined) {
    if (typeof raw.returnToService !== "boolean") throw badRequest("invalid_action", "returnToService must be a boolean");
    out.returnToService = raw.returnToService;
  }
  return out;
}
