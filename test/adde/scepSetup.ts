// Account-driven profiles need a SCEP profile with one-time challenges.
import { createScepProfile } from "@/lib/scep/profiles";

export async function setupScep(): Promise<string> {
  const { profile } = await createScepProfile({ name: "Account-driven", challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID,O=Example" });
  return profile.id;
}
