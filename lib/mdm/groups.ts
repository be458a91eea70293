// Device groups: what an enrollment token assigns a device to, and the ordered policies
// every member receives.
import { db, isUniqueViolation } from "../db/client";
import { AppError, badRequest, conflict, notFound } from "../errors";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { enqueueCommands } from "./commands";
import { policyCommandsFor } from "./certificatePolicies";
import { profileRemovalCommands, type PolicyRow } from "./policyCommands";
import { requestPush } from "./push";

export interface GroupSummary {
  id: string;
  name: string;
  description: string | null;
  createdAt: Date;
  deviceCount: number;
  policyCount: number;
}

export interface PolicySummary {
  id: string;
  groupId: string;
  position: number;
  kind: "PROFILE" | "COMMAND" | "CERTIFICATE";
  name: string;
  requestType: string | null;
  profileIdentifier: string | null;
  createdAt: Date;
}

export interface GroupDetail extends GroupSummary {
  policies: PolicySummary[];
}

export const POLICY_SUMMARY_SELECT = { id: true, groupId: true, position: true, kind: true, name: true, requestType: true, profileIdentifier: true, createdAt: true } as const;

function cleanName(name: unknown): string {
  if (typeof name !== "string" || name.trim() === "") throw badRequest("invalid_group", "name is required");
  const n = name.trim();
  if (n.length > 100) throw badRequest("invalid_group", "name is longer than 100 characters");
  return n;
}

function cleanDescription(d: unknown): string | null {
  if (d === undefined || d === null || d === "") return null;
  if (typeof d !== "string") throw badRequest("invalid_group", "description must be a string");
  if (d.length > 1000) throw badRequest("invalid_group", "description is longer than 1000 characters");
  return d.trim();
}

export async function createGroup(input: { name: string; description?: string | null }): Promise<GroupSummary> {
  const name = cleanName(input.name);
  try {
    const g = await db().deviceGroup.create({ data: { name, description: cleanDescription(input.description) } });
    return { ...g, deviceCount: 0, policyCount: 0 };
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict("group_exists", `a group named "${name}" already exists`);
    throw err;
  }
}

export async function listGroups(): Promise<GroupSummary[]> {
  const rows = await db().deviceGroup.findMany({
    orderBy: { name: "asc" },
    include: { _count: { select: { devices: true, policies: true } } },
  });
  return rows.map(({ _count, ...g }) => ({ id: g.id, name: g.name, description: g.description, createdAt: g.createdAt, deviceCount: _count.devices, policyCount: _count.policies }));
}

export async function getGroup(id: string): Promise<GroupDetail | null> {
  const g = await db().deviceGroup.findUnique({
    where: { id },
    include: { _count: { select: { devices: true, policies: true } }, policies: { orderBy: { position: "asc" }, select: POLICY_SUMMARY_SELECT } },
  });
  if (!g) return null;
  return { id: g.id, name: g.name, description: g.description, createdAt: g.createdAt, deviceCount: g._count.devices, policyCount: g._count.policies, policies: g.policies };
}

export async function updateGroup(id: string, input: { name?: string; description?: string | null }): Promise<GroupSummary> {
  const data: { name?: string; description?: string | null } = {};
  if (input.name !== undefined) data.name = cleanName(input.name);
  if (input.description !== undefined) data.description = cleanDescription(input.description);
  try {
    await db().deviceGroup.update({ where: { id }, data });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict("group_exists", `a group named "${data.name}" already exists`);
    if ((err as { code?: string }).code === "P2025") throw notFound("group");
    throw err;
  }
  const g = await getGroup(id);
  if (!g) throw notFound("group");
  const { policies: _p, ...summary } = g;
  void _p;
  return summary;
}

/** Deletes the group; its devices stay, without a group (their installed profiles stay too). */
export async function deleteGroup(id: string): Promise<void> {
  const r = await db().deviceGroup.deleteMany({ where: { id } });
  if (r.count === 0) throw notFound("group");
}

async function groupPolicies(groupId: string | null): Promise<(PolicyRow & { name: string })[]> {
  if (!groupId) return [];
  return db().policy.findMany({ where: { groupId }, orderBy: { position: "asc" } });
}

/**
 * Moves a device to another group (or none). An enrolled device gets the new group's
 * policies queued, and profiles only the old group installed are removed.
 */
export async function moveDeviceToGroup(deviceId: string, groupId: string | null): Promise<{ queued: number }> {
  const device = await db().device.findUnique({ where: { id: deviceId }, select: { id: true, identifier: true, groupId: true, status: true } });
  if (!device) throw notFound("device");
  if (groupId) {
    const g = await db().deviceGroup.findUnique({ where: { id: groupId }, select: { id: true } });
    if (!g) throw new AppError(404, "not_found", "group not found");
  }
  if (device.groupId === groupId) return { queued: 0 };
  const [oldPolicies, newPolicies] = await Promise.all([groupPolicies(device.groupId), groupPolicies(groupId)]);
  await db().device.update({ where: { id: deviceId }, data: { groupId } });
  if (device.status !== "ENROLLED" && device.status !== "MANAGED") return { queued: 0 };
  const keep = new Set(newPolicies.filter((p) => p.kind !== "COMMAND").map((p) => p.profileIdentifier));
  const removals = profileRemovalCommands(oldPolicies.filter((p) => !keep.has(p.profileIdentifier)));
  const installs = await policyCommandsFor(deviceId, newPolicies, "joined the group");
  const uuids = await enqueueCommands(deviceId, [...removals, ...installs], { push: false });
  requestPush([deviceId]);
  await writeEnrollmentLog({ step: "policy", outcome: "OK", message: `moved to ${groupId ? `group ${groupId}` : "no group"}; queued ${uuids.length} command(s)`, deviceIdentifier: device.identifier });
  return { queued: uuids.length };
}
