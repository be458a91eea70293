// Enrollment SSO (seed 001): when configured, the first 401 of account-driven enrollment
// carries X-Apple-MDM-ESSO: <url>, and that URL serves the JSON document Apple describes in
// other/esso.yaml, naming the App Store SSO app and the profile that configures its extension.
import { z } from "zod";
import { config } from "../config";
import { db } from "../db/client";
import { badRequest, invalidInput } from "../errors";
import { CmsError, verifySignedData } from "../pki/cms";
import { isPlistDict, parsePlistStrict, PlistError, type PlistValue } from "../plist/plist";
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
    associatedDomains: z
      .array(
        z
          .string()
          .trim()
          .regex(/^[a-z]+:[^\s]+$/i, "associated domains look like authsrv:login.example.com"),
      )
      .max(50)
      .default([]),
    associatedDomainsEnableDirectDownloads: z.boolean().default(false),
    configurationProfile: z.string().min(1),
  })
  .strict();

export function essoUrl(): string {
  return `${config().publicUrl}/esso`;
}

/**
 * What the device installs from the Enrollment SSO document before enrollment (Apple,
 * other/esso.yaml: "the profile containing an ExtensibleSingleSignOn payload … This profile
 * may contain certificate payloads"): the SSO extension's payload and the certificates it
 * needs (trust anchors, PEM/PKCS#1 certificates, PKCS#12 identities). Anything else makes
 * the device refuse the profile, so it is refused here, naming the payload.
 */
export const ESSO_PAYLOAD_TYPES: Record<string, string> = {
  "com.apple.extensiblesso": "Extensible Single Sign-On",
  "com.apple.security.root": "root certificate",
  "com.apple.security.pkcs1": "certificate (PKCS#1)",
  "com.apple.security.pem": "certificate (PEM)",
  "com.apple.security.pkcs12": "identity (PKCS#12)",
};

const ESSO_PROFILE_LIMIT = 1024 * 1024;

function refuse(message: string): never {
  throw badRequest("invalid_esso_profile", message);
}

/** Checks the uploaded profile the way the device will (signed profiles are unwrapped first). */
async function checkProfile(b64: string): Promise<void> {
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length === 0 || bytes.toString("base64").replace(/=+$/, "") !== b64.replace(/\s+/g, "").replace(/=+$/, "")) {
    refuse("configurationProfile must be base64");
  }
  if (bytes.length > ESSO_PROFILE_LIMIT) refuse(`configurationProfile is larger than ${ESSO_PROFILE_LIMIT / 1024} KiB`);
  let content: Uint8Array = new Uint8Array(bytes);
  // A CMS-signed profile (DER SEQUENCE): the device checks the signature; we read what it wraps.
  if (bytes[0] === 0x30) {
    try {
      content = (await verifySignedData(content)).content;
    } catch (err) {
      refuse(`configurationProfile is signed, but the signature does not verify (${err instanceof CmsError ? err.message : "malformed CMS"})`);
    }
  }
  let top: PlistValue;
  try {
    top = parsePlistStrict(content);
  } catch (err) {
    refuse(`configurationProfile is not a property list${err instanceof PlistError ? ` (${err.message})` : ""}`);
  }
  if (!isPlistDict(top) || top.PayloadType !== "Configuration") refuse('configurationProfile is not a configuration profile (top-level PayloadType must be "Configuration")');
  const payloads = top.PayloadContent;
  if (!Array.isArray(payloads) || payloads.length === 0) refuse("configurationProfile has no payloads; it needs a com.apple.extensiblesso payload");
  const allowed = Object.entries(ESSO_PAYLOAD_TYPES)
    .map(([type, name]) => `${name} (${type})`)
    .join(", ");
  payloads.forEach((p, i) => {
    const type = isPlistDict(p) && typeof p.PayloadType === "string" ? p.PayloadType : null;
    if (type && ESSO_PAYLOAD_TYPES[type]) return;
    const label = isPlistDict(p) ? [p.PayloadDisplayName, p.PayloadIdentifier].find((x): x is string => typeof x === "string") : undefined;
    refuse(
      `payload ${i + 1}${label ? ` "${label}"` : ""} is ${type ?? "not a payload dictionary"}: an Enrollment SSO profile may contain only ${allowed}; the device refuses any other payload before enrollment. Move it to a profile you deliver after enrollment.`,
    );
  });
  if (!payloads.some((p) => isPlistDict(p) && p.PayloadType === "com.apple.extensiblesso")) {
    refuse("configurationProfile has no com.apple.extensiblesso payload (only certificates); the device needs the SSO extension's configuration");
  }
}

/** Configures Enrollment SSO (portal or API). */
export async function configureEsso(raw: unknown): Promise<EssoSettings> {
  const parsed = input.safeParse(raw);
  if (!parsed.success) throw invalidInput("invalid_esso", parsed.error);
  const settings: EssoSettings = { ...parsed.data, configurationProfile: parsed.data.configurationProfile.replace(/\s+/g, "") };
  await checkProfile(settings.configurationProfile);
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
