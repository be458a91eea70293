// Device records keyed on the identifier check-ins carry (UDID, or EnrollmentID for user
// enrollment), and their removal.
import { db } from "../db/client";
import { notFound } from "../errors";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { revokeCertificates } from "../pki/revocation";

/**
 * Forgets a device: its queue and history go with it and its identity certificates are
 * revoked, so the device can no longer check in with them (it must enroll again).
 */
export async function removeDevice(deviceId: string): Promise<void> {
  const device = await db().device.findUnique({ where: { id: deviceId }, select: { id: true, identifier: true } });
  if (!device) throw notFound("device");
  // Revoked first (the device's rows still name it), then forgotten.
  const certs = await db().certificate.findMany({ where: { deviceId }, select: { serial: true } });
  await revokeCertificates(
    certs.map((c) => c.serial),
    { reason: "device removed", code: "cessationOfOperation" },
  );
  await db().device.delete({ where: { id: deviceId } });
  await writeEnrollmentLog({ step: "device", outcome: "OK", message: "device removed; its identity certificates were revoked", deviceIdentifier: device.identifier });
}
