// Certificate policies: a group policy "certificate from external SCEP profile X". Every member
// (and every device that joins later) gets its own profile: the device's variables in the
// subject, a challenge fetched for it from the CA's challenge source, installed with
// InstallProfile. A device whose challenge cannot be fetched gets nothing queued; the
// enrollment log says why and how to fix it (lib/scep/external/profiles challengeFor).
import { z } from "zod";
import { db } from "../db/client";
import { AppError } from "../errors";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { certificateProfileXml } from "../profiles/certificateProfile";
import { ProfileOptionsError } from "../profiles/enrollmentProfile";
import { challengeFor, getExternalScepProfileRow } from "../scep/external/profiles";
import type { SubjectContext } from "../scep/subject";
import { getBranding } from "../settings/branding";
import type { QueuedCommandInput } from "./commands";
import { policyCommand, type PolicyRow } from "./policyCommands";

export const certificatePolicyConfigSchema = z.object({
  externalScepProfileId: z.string().trim().min(1).max(100),
  /** Re-install with a fresh challenge this many days before the certificate expires (seed 002). */
  redistributeDays: z.number().int().min(0).max(365).default(30),
});
export type CertificatePolicyConfig = z.output<typeof certificatePolicyConfigSchema>;

export function certificatePolicyConfig(payload: string): CertificatePolicyConfig {
  return certificatePolicyConfigSchema.parse(JSON.parse(payload));
}

interface DeviceVars {
  id: string;
  identifier: string;
  udid: string | null;
  serialNumber: string | null;
  deviceName: string | null;
  user: { identifier: string; displayName: string | null } | null;
}

function subjectContext(d: DeviceVars): SubjectContext {
  const email = d.user?.identifier ?? null;
  return { UDID: d.udid ?? d.identifier, SERIALNUMBER: d.serialNumber, COMPUTERNAME: d.deviceName, EMAIL: email, USERNAME: email ? email.split("@")[0] : null };
}

/** The InstallProfile command for one device, or null (logged) when it cannot be built now. */
export async function certificateCommand(policy: PolicyRow & { name: string }, deviceId: string, why: string): Promise<QueuedCommandInput | null> {
  const cfg = certificatePolicyConfig(policy.payload);
  const device = await db().device.findUnique({ where: { id: deviceId }, select: { id: true, identifier: true, udid: true, serialNumber: true, deviceName: true, user: { select: { identifier: true, displayName: true } } } });
  if (!device) return null;
  const row = await getExternalScepProfileRow(cfg.externalScepProfileId);
  const base = { step: "certificate_policy", deviceIdentifier: device.identifier };
  if (!row) {
    await writeEnrollmentLog({ ...base, outcome: "ERROR", message: `Certificate policy "${policy.name}": its external SCEP profile was deleted; nothing installed` });
    return null;
  }
  const challenge = await challengeFor(row, { udid: device.identifier });
  if (!challenge.ok) return null;
  let xml: string;
  try {
    xml = certificateProfileXml({ row, challenge: challenge.challenge, ctx: subjectContext(device), identifier: policy.profileIdentifier ?? `certificate.${policy.id}`, displayName: policy.name, organization: (await getBranding()).organizationName || "Open Enroll" });
  } catch (err) {
    if (!(err instanceof ProfileOptionsError)) throw err;
    await writeEnrollmentLog({ ...base, outcome: "ERROR", reason: "scep_subject_unresolved", message: `Certificate policy "${policy.name}": ${err.message}` });
    return null;
  }
  await writeEnrollmentLog({ ...base, outcome: "OK", message: `Certificate policy "${policy.name}": profile for ${row.name} queued (${why})` });
  return { requestType: "InstallProfile", params: { Payload: new Uint8Array(Buffer.from(xml, "utf8")) }, policyId: policy.id };
}

/** A device's commands for a list of policies, in order: certificate policies built for it. */
export async function policyCommandsFor(deviceId: string, policies: (PolicyRow & { name: string })[], why: string): Promise<QueuedCommandInput[]> {
  const out: QueuedCommandInput[] = [];
  for (const p of policies) {
    if (p.kind !== "CERTIFICATE") {
      out.push(policyCommand(p));
      continue;
    }
    const c = await certificateCommand(p, deviceId, why);
    if (c) out.push(c);
  }
  return out;
}

export async function validateCertificatePolicy(raw: unknown): Promise<CertificatePolicyConfig> {
  const parsed = certificatePolicyConfigSchema.safeParse(raw);
  if (!parsed.success) throw new AppError(400, "invalid_policy", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  if (!(await getExternalScepProfileRow(parsed.data.externalScepProfileId))) throw new AppError(400, "invalid_policy", "externalScepProfileId: no such external SCEP profile");
  return parsed.data;
}
