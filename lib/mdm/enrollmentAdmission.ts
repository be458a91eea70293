// Whether a device's first Authenticate with a new identity certificate may enroll, and what
// the enrollment records: the person's device limit (per-user limit of the token, the
// routing rule or the organisation), one use of the OTA token spent (the use its download
// reserved, or a free one), the person it is for and the terms they accepted.
import { db } from "../db/client";
import { checkDeviceLimit, effectiveDeviceLimit, limitRefusalMessage } from "../enrollment/deviceLimit";
import { spendEnrollmentUse } from "../enrollment/reservations";
import { routeGovernanceFor } from "../enrollment/routes";
import { termsVersion } from "../enrollment/terms";
import { MdmAuthError } from "./identity";

export interface AdmissionInput {
  identifier: string;
  tokenId: string | null;
  userId: string | null;
  userIdentifier: string | null;
  modelFamily: string | null;
  now?: Date;
}

/** What to record on the device. */
export interface Admission {
  personEmail: string | null;
  termsHash: string | null;
  termsAcceptedAt: Date | null;
  termsAcceptedBy: string | null;
}

/** Refuses (MdmAuthError: 401 and a log line with the fix) or admits and spends the token's use. */
export async function admitEnrollment(input: AdmissionInput): Promise<Admission> {
  const token = input.tokenId ? await db().enrollmentToken.findUnique({ where: { id: input.tokenId }, select: { name: true, personEmail: true, deviceLimit: true, maxUses: true } }) : null;
  if (input.tokenId && !token) {
    throw new MdmAuthError(
      "token_unknown",
      `the identity certificate was issued for enrollment token ${input.tokenId}, which has been deleted; a profile downloaded from it cannot enroll. Fix: send the person a link of an existing token`,
    );
  }
  const route = input.userId && input.userIdentifier ? await routeGovernanceFor(input.userIdentifier, input.modelFamily) : null;
  const person = input.userId ? { userId: input.userId, email: input.userIdentifier } : token?.personEmail ? { email: token.personEmail } : null;
  if (person) {
    const override = input.userId ? (route?.deviceLimit ?? null) : (token?.deviceLimit ?? null);
    const verdict = await checkDeviceLimit(person, await effectiveDeviceLimit(override), input.identifier);
    if (!verdict.ok) {
      const source = override !== null ? (input.userId ? "the routing rule" : `token "${token?.name}"`) : "Settings › Enrollment";
      throw new MdmAuthError("device_limit_reached", limitRefusalMessage(person.email ?? "this user", verdict, source));
    }
  }
  const out: Admission = { personEmail: person?.email ?? null, termsHash: null, termsAcceptedAt: null, termsAcceptedBy: null };
  if (input.tokenId && token) {
    const spent = await spendEnrollmentUse(input.tokenId, input.identifier, input.now);
    if (!spent) {
      throw new MdmAuthError(
        "token_exhausted",
        `all ${token.maxUses} uses of enrollment token "${token.name}" are spent or held by other downloads; a device enrolling with a profile whose reservation had expired finds no free use. Fix: generate a new token, or raise the limit with a new one`,
      );
    }
    if (spent.terms) Object.assign(out, { termsHash: spent.terms.termsHash, termsAcceptedAt: spent.terms.acceptedAt, termsAcceptedBy: spent.terms.acceptedBy });
  } else if (input.userId && route?.terms) {
    const user = await db().user.findUnique({ where: { id: input.userId }, select: { termsHash: true, termsAcceptedAt: true } });
    if (user?.termsHash && user.termsAcceptedAt && user.termsHash === termsVersion(route.terms)) {
      Object.assign(out, { termsHash: user.termsHash, termsAcceptedAt: user.termsAcceptedAt, termsAcceptedBy: input.userIdentifier });
    }
  }
  return out;
}

/** Writes the admission onto the device record (only what it knows; older values stay). */
export async function recordAdmission(deviceId: string, a: Admission): Promise<void> {
  const data = {
    ...(a.personEmail ? { personEmail: a.personEmail } : {}),
    ...(a.termsHash ? { termsHash: a.termsHash, termsAcceptedAt: a.termsAcceptedAt, termsAcceptedBy: a.termsAcceptedBy } : {}),
  };
  if (Object.keys(data).length) await db().device.update({ where: { id: deviceId }, data });
}
