// Organisation branding: the name and support contact shown to admins and enrolling users.
import { z } from "zod";
import { invalidInput } from "../errors";
import { readSetting, writeSetting } from "./store";

const KEY = "branding";

export const brandingSchema = z
  .object({
    organizationName: z.string().trim().max(100),
    supportContact: z.string().trim().max(200),
  })
  .strict();
export type Branding = z.infer<typeof brandingSchema>;

export const DEFAULT_BRANDING: Branding = { organizationName: "", supportContact: "" };

export async function getBranding(): Promise<Branding> {
  const stored = await readSetting(KEY);
  if (stored === undefined) return DEFAULT_BRANDING;
  const parsed = brandingSchema.partial().safeParse(stored);
  return { ...DEFAULT_BRANDING, ...(parsed.success ? parsed.data : {}) };
}

export async function updateBranding(raw: unknown): Promise<Branding> {
  const parsed = brandingSchema.safeParse(raw);
  if (!parsed.success) throw invalidInput("invalid_branding", parsed.error);
  await writeSetting(KEY, parsed.data);
  return parsed.data;
}
