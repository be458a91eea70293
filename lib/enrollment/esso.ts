// Enrollment SSO (seed 001): when configured, the first 401 of account-driven enrollment
// carries X-Apple-MDM-ESSO: <url>, and that URL serves the JSON document Apple describes in
// other/esso.yaml, naming the App Store SSO app and the profile that configures its extension.
import { parse as parsePlist } from "plist";
import { z } from "zod";
import { config } from "../config";
import { db } from "../db/client";
import { badRequest, invalidInput } from "../errors";
import { readSetting, writeSetting } from "../settings/store";

const KEY = "adde.esso";

export interface EssoSettings {
  enabled: boolean;
  iTunesStoreID: number;
  associatedDomains: string[];
  associatedDomainsEnableDirectDownloads: boolean;
  /** The configuration profile with the ExtensibleSingleSignOn payload, base64. */
  configurationProfile: string;
}

const input = z
  .object({
    enabled: z.boolean(),
    iTunesStoreID: z.number().int().positive(),
    associatedDomains: z.array(z.string().trim().regex(/^[a-z]+:[^\s]+$/i, "associated domains look like authsrv:login.example.com")).max(50).default([]),
    associatedDomainsEnableDirectDownloads: z.boolean().default(false),
    configurationProfile: z.string().min(1),
  })
  .strict();

export function essoUrl(): string {
  return `${config().publicUrl}/esso`;
}

/** Checks the uploaded profile: a plist whose payloads include com.apple.extensiblesso (or a signed profile). */
function checkProfile(b64: string): void {
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length === 0 || bytes.toString("base64").replace(/=+$/, "") !== b64.replace(/\s+/g, "").replace(/=+$/, "")) {
    throw badRequest("invalid_esso_profile", "configurationProfile must be base64");
  }
  // A CMS-signed profile (DER SEQUENCE) is taken as is; the device verifies it.
  if (bytes[0] === 0x30) return;
  let parsed: unknown;
  try {
    parsed = parsePlist(bytes.toString("utf8"));
  } catch {
    throw badRequest("invalid_esso_profile", "configurationProfile is not a property list");
  }
  const content = (parsed as { PayloadContent?: unknown }).PayloadContent;
  const hasSso = Array.isArray(content) && content.some((p) => (p as { PayloadType?: unknown })?.PayloadType === "com.apple.extensiblesso");
  if (!hasSso) throw badRequest("invalid_esso_profile", "configurationProfile has no com.apple.extensiblesso payload");
}

/** Configures Enrollment SSO (portal or API). */
export async function configureEsso(raw: unknown): Promise<EssoSettings> {
  const parsed = input.safeParse(raw);
  if (!parsed.success) throw invalidInput("invalid_esso", parsed.error);
  const settings: EssoSettings = { ...parsed.data, configurationProfile: parsed.data.configurationProfile.replace(/\s+/g, "") };
  checkProfile(settings.configurationProfile);
  await writeSetting(KEY, settings);
  return settings;
}

export async function disableEsso(): Promise<void> {
  await db().setting.deleteMany({ where: { key: KEY } });
}

export async function getEssoSettings(): Promise<EssoSettings | null> {
  return ((await readSetting(KEY)) as EssoSettings | undefined) ?? null;
}

/** The header value for the first 401, or null when Enrollment SSO is off. */
export async function essoHeader(): Promise<string | null> {
  const s = await getEssoSettings();
  return s?.enabled ? essoUrl() : null;
}

/** The Enrollment SSO document (JSON; ConfigurationProfile is <data>, so base64 in JSON). */
export async function essoDocument(): Promise<Record<string, unknown> | null> {
  const s = await getEssoSettings();
  if (!s?.enabled) return null;
  const doc: Record<string, unknown> = { iTunesStoreID: s.iTunesStoreID, ConfigurationProfile: s.configurationProfile };
  if (s.associatedDomains.length) doc.AssociatedDomains = s.associatedDomains;
  if (s.associatedDomainsEnableDirectDownloads) doc.AssociatedDomainsEnableDirectDownloads = true;
  return doc;
}
