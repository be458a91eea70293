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
import { expandSubject, type SubjectContext } from "../scep/subject";
import { getBranding } from "../settings/branding";
import { getProfileTrust } from "../pki/trust";
import { challengeForEnrollment } from "../scep/challenge";
import { getScepProfileRow } from "../scep/profiles";
import type { QueuedCommandInput } from "./commands";
import { policyCommand, type PolicyRow } from "./policyCommands";

export const certificatePolicyConfigSchema = z.object({
  /** One of the two: an external CA, or one of our built-in SCEP profiles (its own challenge type). */
  externalScepProfileId: z.string().trim().min(1).max(100).optional(),
  scepProfileId: z.string().trim().min(1).max(100).optional(),
  /** Re-install with a fresh challenge this many days before the certificate expires (seed 002). */
  redistributeDays: z.number().int().min(0).max(365).default(30),
});
export type CertificatePolicyConfig = z.output<typeof certificatePolicyConfigSchema>;

export function certificatePolicyConfig(payload: string): CertificatePolicyConfig {
  return certificatePolicyConfigSchema.parse(JSON.parse(payload));
}

interface DeviceVars {
  id: string;
  tokenId: string | null;
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
  const device = await db().device.findUnique({
    where: { id: deviceId },
    select: { id: true, identifier: true, udid: true, serialNumber: true, deviceName: true, tokenId: true, user: { select: { identifier: true, displayName: true } } },
  });
  if (!device) return null;
  const base = { step: "certificate_policy", deviceIdentifier: device.identifier };
  const common = {
    ctx: subjectContext(device),
    identifier: policy.profileIdentifier ?? `certificate.${policy.id}`,
    displayName: policy.name,
    organization: (await getBranding()).organizationName || "Open Enroll",
  };
  let source: Parameters<typeof certificateProfileXml>[0]["source"];
  let caName: string;
  /** Before a challenge is spent (an NDES cache slot for an hour): can this device's subject be built? */
  const subjectFits = async (template: string): Promise<boolean> => {
    const expanded = expandSubject(template, [], { ...common.ctx, PROFILE_IDENTIFIER: common.identifier });
    if (expanded.ok) return true;
    await writeEnrollmentLog({ ...base, outcome: "ERROR", reason: expanded.reason, message: `Certificate policy "${policy.name}": ${expanded.detail}; nothing installed` });
    return false;
  };
  if (cfg.scepProfileId) {
    const builtin = await getScepProfileRow(cfg.scepProfileId);
    if (!builtin) {
      await writeEnrollmentLog({ ...base, outcome: "ERROR", message: `Certificate policy "${policy.name}": its SCEP profile was deleted; nothing installed` });
      return null;
    }
    if (!(await subjectFits(builtin.subjectTemplate))) return null;
    // Our own challenge types: DYNAMIC/NDES one-time, STATIC, TOKEN = the device's enrollment token.
    let challenge: string;
    try {
      challenge = await challengeForEnrollment(builtin.id, { tokenId: device.tokenId ?? null });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      await writeEnrollmentLog({ ...base, outcome: "ERROR", message: `Certificate policy "${policy.name}": no challenge for SCEP profile "${builtin.name}": ${err.message}` });
      return null;
    }
    source = { builtin, challenge, caFingerprint: (await getProfileTrust()).caFingerprint };
    caName = builtin.name;
  } else {
    const row = await getExternalScepProfileRow(cfg.externalScepProfileId ?? "");
    if (!row) {
      await writeEnrollmentLog({ ...base, outcome: "ERROR", message: `Certificate policy "${policy.name}": its external SCEP profile was deleted; nothing installed` });
      return null;
    }
    if (!(await subjectFits(row.subjectTemplate))) return null;
    const challenge = await challengeFor(row, { udid: device.identifier });
    if (!challenge.ok) return null;
    source = { external: row, challenge: challenge.challenge };
    caName = row.name;
  }
  let xml: string;
  try {
    xml = certificateProfileXml({ source, ...common });
  } catch (err) {
    if (!(err instanceof ProfileOptionsError)) throw err;
    await writeEnrollmentLog({ ...base, outcome: "ERROR", reason: "scep_subject_unresolved", message: `Certificate policy "${policy.name}": ${err.message}` });
    return null;
  }
  await writeEnrollmentLog({ ...base, outcome: "OK", message: `Certificate policy "${policy.name}": profile for ${caName} queued (${why})` });
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
  const { externalScepProfileId, scepProfileId } = parsed.data;
  if (Boolean(externalScepProfileId) === Boolean(scepProfileId)) throw new AppError(400, "invalid_policy", "give externalScepProfileId or scepProfileId (exactly one)");
  if (externalScepProfileId && !(await getExternalScepProfileRow(externalScepProfileId))) throw new AppError(400, "invalid_policy", "externalScepProfileId: no such external SCEP profile");
  if (scepProfileId && !(await getScepProfileRow(scepProfileId))) throw new AppError(400, "invalid_policy", "scepProfileId: no such SCEP profile");
  return parsed.data;
}
