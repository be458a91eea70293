// Challenge responses (RFC 8555 §7.5.1): validated at once; the answer is the challenge,
// valid or invalid with its error, and the order settles (ready or invalid).
import { db } from "../db/client";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import type { AcmeResult } from "./accounts";
import { verifyDeviceAttestation } from "./deviceAttest";
import { validateHttp01 } from "./http01";
import type { VerifiedJws } from "./jws";
import { challengeObject, DEVICE_ATTEST, ownedAuthz, RETRY_AFTER, settleOrder } from "./orders";
import { inventoryMatch } from "./policy";
import { AcmeProblem, problem } from "./problem";
import { acmeUrl } from "./urls";

export const STEP = "acme";

export async function respondChallenge(req: VerifiedJws, id: string, remoteAddr: string | null): Promise<AcmeResult> {
  const a = await ownedAuthz(req, id);
  const links = { link: `<${acmeUrl.authz(a.id)}>;rel="up"` };
  // POST-as-GET reads it; a repeated response to a settled challenge changes nothing.
  if (req.payload === null || a.challengeStatus !== "pending")
    return { status: 200, body: challengeObject(a), headers: a.challengeStatus === "processing" ? { ...links, "retry-after": RETRY_AFTER } : links };
  if (a.status !== "pending" || a.expires <= new Date()) throw problem("malformed", `the authorization is ${a.expires <= new Date() ? "expired" : a.status}`, "acme_malformed");
  // Only one validation per challenge, also across workers.
  const { count } = await db().acmeAuthorization.updateMany({ where: { id, challengeStatus: "pending" }, data: { challengeStatus: "processing" } });
  if (count !== 1) return { status: 200, body: challengeObject(await ownedAuthz(req, id)), headers: { ...links, "retry-after": RETRY_AFTER } };
  const identifier = a.identifierValue;
  try {
    let attestation: { key: Buffer; record: string } | null = null;
    if (a.challengeType === DEVICE_ATTEST) {
      const match = await inventoryMatch(identifier);
      if (!match)
        throw problem("rejectedIdentifier", `device ${identifier} is no longer in the inventory (its enrollment expired or was used)`, "acme_not_in_inventory", {
          identifier: { type: a.identifierType, value: identifier },
        });
      const { device, record } = verifyDeviceAttestation(req.payload, a.challengeToken, identifier, match);
      attestation = { key: device.publicKeySpki, record: JSON.stringify(record) };
    } else {
      await validateHttp01(identifier, a.challengeToken, req.thumbprint);
    }
    const now = new Date();
    const updated = await db().acmeAuthorization.update({
      where: { id },
      data: { challengeStatus: "valid", status: "valid", validatedAt: now, ...(attestation ? { attestedKey: new Uint8Array(attestation.key), attestation: attestation.record } : {}) },
    });
    await settleOrder(a.orderId);
    await writeEnrollmentLog({
      step: STEP,
      outcome: "OK",
      message: `ACME ${a.challengeType} for ${a.identifierType} ${identifier} validated${attestation ? `: ${describeAttestation(attestation.record)}` : ""}`,
      deviceIdentifier: a.identifierType === "permanent-identifier" ? identifier : null,
      remoteAddr,
    });
    return { status: 200, body: challengeObject(updated), headers: links };
  } catch (err) {
    const p = err instanceof AcmeProblem ? err : problem("serverInternal", "the challenge could not be validated", null);
    const updated = await db().acmeAuthorization.update({ where: { id }, data: { challengeStatus: "invalid", status: "invalid", challengeError: JSON.stringify(p.document()) } });
    await settleOrder(a.orderId);
    await writeEnrollmentLog({
      step: STEP,
      outcome: "ERROR",
      reason: p.reason,
      message: `ACME ${a.challengeType} for ${a.identifierType} ${identifier} refused: ${p.detail}`,
      deviceIdentifier: a.identifierType === "permanent-identifier" ? identifier : null,
      remoteAddr,
    });
    if (!(err instanceof AcmeProblem)) throw err;
    return { status: 200, body: challengeObject(updated), headers: links };
  }
}

export function describeAttestation(json: string): string {
  const r = JSON.parse(json) as { serialNumber: string | null; udid: string | null; osVersion: string | null; sepOsVersion: string | null };
  return `Apple attested serial ${r.serialNumber ?? "-"}, UDID ${r.udid ?? "-"}, OS ${r.osVersion ?? "-"}, SEP OS ${r.sepOsVersion ?? "-"}`;
}
