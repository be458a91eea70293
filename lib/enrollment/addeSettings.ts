// Account-driven enrollment settings (Setting table, JSON): which authentication method the
// 401 announces, the OAuth 2 client id and scope prefix devices use, and the SCEP profile that
// issues the identity certificate.
import { z } from "zod";
import { invalidInput } from "../errors";
import { readSetting, writeSetting } from "../settings/store";

const KEY = "adde.settings";

export const addeSettingsSchema = z
  .object({
    /** "simple": WWW-Authenticate method apple-as-web; "oauth2": method apple-oauth2. */
    authMethod: z.enum(["simple", "oauth2"]),
    /** The client id the device presents to our OAuth 2 endpoints. */
    oauthClientId: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "no quotes, spaces or backslashes"),
    /** SCEP profile for account-driven identity certificates; null: the first DYNAMIC profile. */
    scepProfileId: z.string().min(1).nullable(),
  })
  .strict();

export type AddeSettings = z.infer<typeof addeSettingsSchema>;

export const DEFAULT_ADDE_SETTINGS: AddeSettings = { authMethod: "simple", oauthClientId: "apple-device-enrollment", scepProfileId: null };

export async function getAddeSettings(): Promise<AddeSettings> {
  const stored = await readSetting(KEY);
  if (stored === undefined) return DEFAULT_ADDE_SETTINGS;
  const parsed = addeSettingsSchema.partial().safeParse(stored);
  return { ...DEFAULT_ADDE_SETTINGS, ...(parsed.success ? parsed.data : {}) };
}

/** Updates some settings (portal or API); returns the complete result. */
export async function updateAddeSettings(patch: unknown): Promise<AddeSettings> {
  const parsed = addeSettingsSchema.partial().safeParse(patch);
  if (!parsed.success) throw invalidInput("invalid_settings", parsed.error);
  const next = { ...(await getAddeSettings()), ...parsed.data };
  await writeSetting(KEY, next);
  return next;
}
