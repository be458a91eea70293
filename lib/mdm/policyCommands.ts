// How a stored policy turns into a queued command: a PROFILE installs the uploaded bytes
// (signed or not, as uploaded) and is removed by its PayloadIdentifier; a COMMAND is
// sent as configured.
import type { QueuedCommandInput } from "./commands";

export interface PolicyRow {
  id: string;
  /** CERTIFICATE: built per device (certificatePolicies.ts), removed like a PROFILE. */
  kind: "PROFILE" | "COMMAND" | "CERTIFICATE";
  requestType: string | null;
  payload: string;
  profileIdentifier: string | null;
}

export function policyCommand(p: PolicyRow): QueuedCommandInput {
  if (p.kind === "CERTIFICATE") throw new Error("certificate policies are built per device (certificatePolicies.policyCommandsFor)");
  if (p.kind === "PROFILE") {
    return { requestType: "InstallProfile", params: { Payload: new Uint8Array(Buffer.from(p.payload, "base64")) }, policyId: p.id };
  }
  const params = p.payload ? (JSON.parse(p.payload) as Record<string, unknown>) : {};
  return { requestType: p.requestType ?? "", params, policyId: p.id };
}

export function profileRemovalCommands(policies: PolicyRow[]): QueuedCommandInput[] {
  return policies
    .filter((p) => (p.kind === "PROFILE" || p.kind === "CERTIFICATE") && p.profileIdentifier)
    .map((p) => ({ requestType: "RemoveProfile", params: { Identifier: p.profileIdentifier as string } }));
}
