// Organisation branding: the name and support contact shown to admins and enrolling users
// (enroll and sign-in pages, error pages, the enrollment profile's names).
import { z } from "zod";
import { db } from "../db/client";
import { invalidInput } from "../errors";
import { readSetting, writeSetting } from "./store";

const KEY = "branding";

export const brandingSchema = z
  .object({
    organizationName: z.string().trim().max(100),
    supportContact: z.string().trim().max(200),
    /** Offer the root certificate profile on the enroll page even over https (TLS chain not publicly trusted). */
    offerRootProfile: z.boolean().optional(),
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

/** The product's own name, used when an organisation has not named itself. */
export const PRODUCT_NAME = "Open Enroll";

/**
 * The organisation's name as devices and people see it: the branding setting, else the
 * organisation row's name (when someone set one), else the product name.
 */
export async function organizationDisplayName(branding?: Branding): Promise<string> {
  const b = branding ?? (await getBranding());
  if (b.organizationName) return b.organizationName;
  const org = await db().organization.findFirst({ orderBy: { createdAt: "asc" }, select: { name: true } });
  return org && org.name !== "Default organization" ? org.name : PRODUCT_NAME;
}

export type SupportLink = { text: string; href: string | null };

/** The support contact as a link when it is one: an email (mailto:), an https URL or a phone number (tel:). */
export function supportLink(contact: string): SupportLink | null {
  const text = contact.trim();
  if (!text) return null;
  if (/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(text)) return { text, href: `mailto:${text}` };
  if (/^https?:\/\/[^\s<>"]+$/i.test(text)) return { text, href: text };
  if (/^\+?[\d\s().-]{6,}$/.test(text)) return { text, href: `tel:${text.replace(/[^\d+]/g, "")}` };
  return { text, href: null };
}
