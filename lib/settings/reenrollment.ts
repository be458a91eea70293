// Who may re-enroll a known device, i.e. bind its record to a new identity certificate
// (lib/mdm/reenrollment.ts). The default keeps a device with the enrollment it came from.
import { z } from "zod";
import { invalidInput } from "../errors";
import { readSetting, writeSetting } from "./store";

const KEY = "reenrollment";

export const REENROLLMENT_POLICIES = ["same-enrollment", "anyone", "approval"] as const;
export type ReEnrollmentPolicy = (typeof REENROLLMENT_POLICIES)[number];

export const REENROLLMENT_POLICY_LABELS: Record<ReEnrollmentPolicy, { title: string; description: string }> = {
  "same-enrollment": {
    title: "Same enrollment link or same user",
    description: "A device may re-enroll through the enrollment token or signed-in user it enrolled with; an identity from another link or user waits for an admin.",
  },
  anyone: {
    title: "Anyone with a valid enrollment",
    description: "Any valid enrollment may take over a known device (for labs that re-image devices through different links).",
  },
  approval: {
    title: "Only after an admin approves",
    description: "Every re-enrollment of a known device waits for an admin to approve or deny it on the device's page.",
  },
};

export const reEnrollmentSchema = z.object({ policy: z.enum(REENROLLMENT_POLICIES) }).strict();
export type ReEnrollmentSettings = z.infer<typeof reEnrollmentSchema>;

export const DEFAULT_REENROLLMENT: ReEnrollmentSettings = { policy: "same-enrollment" };

export async function getReEnrollmentSettings(): Promise<ReEnrollmentSettings> {
  const parsed = reEnrollmentSchema.safeParse(await readSetting(KEY));
  return parsed.success ? parsed.data : DEFAULT_REENROLLMENT;
}

export async function updateReEnrollmentSettings(raw: unknown): Promise<ReEnrollmentSettings> {
  const parsed = reEnrollmentSchema.safeParse(raw);
  if (!parsed.success) throw invalidInput("invalid_reenrollment_policy", parsed.error);
  await writeSetting(KEY, parsed.data);
  return parsed.data;
}
