// The subject a profile's SCEP payload carries: the SCEP profile's template expanded with
// what is known when the profile is built (lib/scep/subject.ts expandSubject, the one
// expander; at issuance it runs again against the request). Checked here too, so a subject
// that cannot be issued (too long, a variable nobody supplies) is refused before a device
// installs the profile.
import { expandSubject, type SubjectContext } from "../scep/subject";
import { ProfileOptionsError } from "./enrollmentProfile";

export function profileSubject(template: string, ctx: SubjectContext): string {
  const subject = expandSubject(template, [], ctx);
  if (!subject.ok) throw new ProfileOptionsError(subject.detail);
  return subject.subject;
}

/**
 * Before the device exists (OTA download, account-driven enroll) a per-enrollment reference
 * stands in for every device variable; the certificate is tied to the device at check-in.
 */
export function deviceUnknownContext(reference: string, known: SubjectContext = {}): SubjectContext {
  return { UDID: reference, SERIALNUMBER: reference, COMPUTERNAME: reference, EMAIL: reference, USERNAME: reference, PROFILE_IDENTIFIER: reference, ...known };
}
