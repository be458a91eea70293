// Account-driven profiles need a SCEP profile with one-time challenges: create one and choose
// it in the settings (without this, the shared "OTA default" DYNAMIC profile is used).
import { updateAddeSettings } from "@/lib/enrollment/addeSettings";
import { createScepProfile } from "@/lib/scep/profiles";

export async function setupScep(): Promise<string> {
  const { profile } = await createScepProfile({ name: "Account-driven", challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID,O=Example" });
  await updateAddeSettings({ scepProfileId: profile.id });
  return profile.id;
}
