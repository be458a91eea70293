// Group policies: uploaded configuration profiles and MDM commands, applied in order.
// Every change to a group's policies is pushed to its enrolled members as the
// difference: a new profile is installed, a removed one removed, a new command sent.
import { db } from "../db/client";
import { AppError, notFound } from "../errors";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { validateCommand } from "../profiles/appleSchema";
import { ALLOWED_COMMAND_TYPES, isAllowedCommandType, normalizeCommandParams } from "./commandPayload";
import { enqueueCommands, enqueueCommandsForDevices, type QueuedCommandInput } from "./commands";
import { POLICY_SUMMARY_SELECT, type PolicySummary } from "./groups";
import { policyCommand, profileRemovalCommands } from "./policyCommands";
import { policyCommandsFor, validateCertificatePolicy } from "./certificatePolicies";
import { defaultIdentifierBase } from "../profiles/enrollmentProfile";
import crypto from "node:crypto";
import { readUploadedProfile } from "./profileUpload";

export type PolicyInput =
  | { kind: "PROFILE"; name?: string; mobileconfig: Uint8Array }
  | { kind: "COMMAND"; name?: string; requestType: string; params?: Record<string, unknown> }
  | { kind: "CERTIFICATE"; name?: string; externalScepProfileId?: string; scepProfileId?: string; redistributeDays?: number };

const invalid = (message: string) => new AppError(400, "invalid_policy", message);

const MEMBER_STATUSES = ["ENROLLED", "MANAGED"] as const;

async function members(groupId: string): Promise<{ id: string }[]> {
  return db().device.findMany({ where: { groupId, status: { in: [...MEMBER_STATUSES] } }, select: { id: true } });
}

async function queueForMembers(groupId: string, commands: QueuedCommandInput[]): Promise<number> {
  const devices = await members(groupId);
  await enqueueCommandsForDevices(
    devices.map((d) => d.id),
    commands,
  );
  return devices.length;
}

function cleanName(name: string | undefined, fallback: string): string {
  const n = (name ?? "").trim() || fallback;
  if (n.length > 200) throw invalid("name is longer than 200 characters");
  return n;
}

/** Validates and adds a policy at the end of the group's list, then queues it for the members. */
export async function addPolicy(groupId: string, input: PolicyInput): Promise<PolicySummary> {
  const group = await db().deviceGroup.findUnique({ where: { id: groupId }, select: { id: true, name: true } });
  if (!group) throw notFound("group");
  let data: { kind: "PROFILE" | "COMMAND" | "CERTIFICATE"; name: string; requestType: string | null; payload: string; profileIdentifier: string | null };
  if (input.kind === "PROFILE") {
    if (!(input.mobileconfig instanceof Uint8Array) || input.mobileconfig.byteLength === 0) throw invalid("mobileconfig is empty");
    const profile = await readUploadedProfile(input.mobileconfig);
    const dup = await db().policy.findFirst({ where: { groupId, kind: "PROFILE", profileIdentifier: profile.identifier }, select: { id: true } });
    if (dup) throw invalid(`the group already has a profile with PayloadIdentifier "${profile.identifier}"`);
    data = {
      kind: "PROFILE",
      name: cleanName(input.name, profile.displayName ?? profile.identifier),
      requestType: null,
      payload: Buffer.from(input.mobileconfig).toString("base64"),
      profileIdentifier: profile.identifier,
    };
  } else if (input.kind === "COMMAND") {
    const rt = input.requestType;
    if (typeof rt !== "string" || !isAllowedCommandType(rt)) throw invalid(`requestType must be one of ${ALLOWED_COMMAND_TYPES.join(", ")}`);
    let keys;
    try {
      keys = normalizeCommandParams(rt, input.params ?? {});
    } catch (err) {
      throw invalid(err instanceof Error ? err.message : "invalid params");
    }
    const errors = validateCommand(rt, { RequestType: rt, ...keys });
    if (errors.length) throw invalid(`command does not match Apple's schema: ${errors.join("; ")}`);
    data = { kind: "COMMAND", name: cleanName(input.name, rt), requestType: rt, payload: JSON.stringify(input.params ?? {}), profileIdentifier: null };
  } else if (input.kind === "CERTIFICATE") {
    const cfg = await validateCertificatePolicy({ externalScepProfileId: input.externalScepProfileId, scepProfileId: input.scepProfileId, redistributeDays: input.redistributeDays });
    // One identifier per policy: every device's profile (and each redistribution) replaces the last.
    data = {
      kind: "CERTIFICATE",
      name: cleanName(input.name, "Certificate"),
      requestType: null,
      payload: JSON.stringify(cfg),
      profileIdentifier: `${defaultIdentifierBase()}.certificate.${crypto.randomUUID().toLowerCase()}`,
    };
  } else {
    throw invalid('kind must be "PROFILE", "COMMAND" or "CERTIFICATE"');
  }
  const policy = await db().$transaction(async (tx) => {
    const last = await tx.policy.findFirst({ where: { groupId }, orderBy: { position: "desc" }, select: { position: true } });
    return tx.policy.create({ data: { ...data, groupId, position: (last?.position ?? -1) + 1 } });
  });
  let count: number;
  if (policy.kind === "CERTIFICATE") {
    // Per device: its own variables and challenge.
    const devices = await members(groupId);
    for (const d of devices) await enqueueCommands(d.id, await policyCommandsFor(d.id, [policy], "policy added"));
    count = devices.length;
  } else {
    count = await queueForMembers(groupId, [policyCommand(policy)]);
  }
  await writeEnrollmentLog({ step: "policy", outcome: "OK", message: `policy "${policy.name}" added to group "${group.name}"; queued for ${count} device(s)` });
  const { groupId: g, id, position, kind, name, requestType, profileIdentifier, createdAt } = policy;
  return { id, groupId: g, position, kind, name, requestType, profileIdentifier, createdAt };
}

/** Removes a policy (of that group, when groupId is given); a profile policy is removed from the members' devices. */
export async function removePolicy(id: string, groupId?: string): Promise<void> {
  const policy = await db().policy.findUnique({ where: { id } });
  if (!policy || (groupId !== undefined && policy.groupId !== groupId)) throw notFound("policy");
  await db().policy.delete({ where: { id } });
  if (policy.kind !== "COMMAND") await queueForMembers(policy.groupId, profileRemovalCommands([policy]));
}

/** Sets the order of a group's policies; orderedIds must be exactly the group's policy ids. */
export async function reorderPolicies(groupId: string, orderedIds: string[]): Promise<PolicySummary[]> {
  if (!(await db().deviceGroup.findUnique({ where: { id: groupId }, select: { id: true } }))) throw notFound("group");
  const current = await db().policy.findMany({ where: { groupId }, select: { id: true } });
  const have = new Set(current.map((p) => p.id));
  if (orderedIds.length !== have.size || new Set(orderedIds).size !== orderedIds.length || !orderedIds.every((id) => have.has(id))) {
    throw new AppError(400, "invalid_order", "orderedIds must list each of the group's policies exactly once");
  }
  await db().$transaction(orderedIds.map((id, position) => db().policy.update({ where: { id }, data: { position } })));
  return db().policy.findMany({ where: { groupId }, orderBy: { position: "asc" }, select: POLICY_SUMMARY_SELECT });
}

/** Queues all of the device's group policies again (admin "resend"). */
export async function resendPolicies(deviceId: string): Promise<{ queued: number }> {
  const device = await db().device.findUnique({ where: { id: deviceId }, select: { id: true, groupId: true, identifier: true } });
  if (!device) throw notFound("device");
  const queued = await queueGroupPolicies(device.id, device.groupId);
  await writeEnrollmentLog({ step: "policy", outcome: "OK", message: `resent ${queued} polic${queued === 1 ? "y" : "ies"}`, deviceIdentifier: device.identifier });
  return { queued };
}

/** Queues a group's policies, in order, for one device (after TokenUpdate, resend). */
export async function queueGroupPolicies(deviceId: string, groupId: string | null): Promise<number> {
  if (!groupId) return 0;
  const policies = await db().policy.findMany({ where: { groupId }, orderBy: { position: "asc" } });
  const uuids = await enqueueCommands(deviceId, await policyCommandsFor(deviceId, policies, "group policies queued"));
  return uuids.length;
}
