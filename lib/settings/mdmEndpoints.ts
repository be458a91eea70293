// The MDM URLs a profile points devices at, and the APNs topic they register under.
// One place, so the profile builder, the check-in routes and the portal agree.
import crypto from "node:crypto";
import { config } from "../config";
import { db, isUniqueViolation } from "../db/client";
import { readSetting, writeSetting } from "./store";
import { loadApnsCredentials } from "./apnsCredentials";

export function checkInUrl(): string {
  return `${config().publicUrl}/mdm/checkin`;
}

export function serverUrl(): string {
  return `${config().publicUrl}/mdm/connect`;
}

export const TOPIC_SETTING = "apns.topic";

/**
 * The push topic: the UID of the uploaded APNs certificate once there is one; until then a
 * stable placeholder in Apple's format, so profiles are well formed before push is set up.
 */
export async function currentMdmTopic(): Promise<string> {
  const stored = await readSetting(TOPIC_SETTING);
  if (stored !== undefined) return stored as string;
  const topic = `com.apple.mgmt.External.${crypto.randomUUID()}`;
  try {
    await db().setting.create({ data: { key: TOPIC_SETTING, value: JSON.stringify(topic) } });
    return topic;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const again = await db().setting.findUniqueOrThrow({ where: { key: TOPIC_SETTING } });
    return JSON.parse(again.value) as string;
  }
}

export async function setMdmTopic(topic: string): Promise<void> {
  await writeSetting(TOPIC_SETTING, topic);
}

/**
 * The topic a new enrollment profile may carry, or null while the server cannot wake what it
 * enrolls: a profile with a placeholder topic strands the device (it only talks to the server
 * when pushed), so without an APNs certificate enrollment is refused unless the lab setting
 * ALLOW_ENROLL_WITHOUT_PUSH=true says otherwise.
 */
export async function enrollmentTopic(): Promise<string | null> {
  const creds = await loadApnsCredentials().catch(() => null);
  if (creds?.kind === "certificate" || config().allowEnrollWithoutPush) return currentMdmTopic();
  return null;
}
