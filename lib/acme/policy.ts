// Which identifiers this CA issues for. Devices: only ones in our inventory (the enrollment
// that handed out an ACME payload, or serials an admin pre-registered), never "any Apple
// device". DNS names: only under domains an admin allowed (none by default).
import { db } from "../db/client";
import type { AcmeEnrollment } from "../db/generated/sqlite/client";
import { readSetting, writeSetting } from "../settings/store";
import { badRequest } from "../errors";

export const PERMANENT_IDENTIFIER = "permanent-identifier";
const DNS_SETTING = "acme.dnsDomains";

/** Serial numbers and UDIDs: letters, digits and hyphens (UDIDs "00008030-001A…", 40-hex). */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9-]{4,64}$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function isDnsName(value: string): boolean {
  if (value.length > 253 || !value.includes(".")) return false;
  return value.split(".").every((l) => LABEL.test(l));
}

/** Domains under which DNS identifiers (http-01) may be issued; empty: DNS identifiers are refused. */
export async function allowedDnsDomains(): Promise<string[]> {
  const v = await readSetting(DNS_SETTING);
  return Array.isArray(v) ? v.filter((d): d is string => typeof d === "string") : [];
}

export async function setAllowedDnsDomains(input: unknown): Promise<string[]> {
  const list = (Array.isArray(input) ? input : typeof input === "string" ? input.split(/[\s,]+/) : null)
    ?.map((d) => (typeof d === "string" ? d.trim().toLowerCase().replace(/\.$/, "") : ""))
    .filter(Boolean);
  if (!list) throw badRequest("invalid_domains", "domains must be a list of DNS names");
  if (list.length > 100) throw badRequest("invalid_domains", "at most 100 domains");
  for (const d of list) if (!isDnsName(d) && d !== "localhost") throw badRequest("invalid_domains", `"${d.slice(0, 80)}" is not a DNS name`);
  const unique = [...new Set(list)];
  await writeSetting(DNS_SETTING, unique);
  return unique;
}

export function dnsNameAllowed(name: string, domains: string[]): boolean {
  return domains.some((d) => name === d || name.endsWith(`.${d}`));
}

export type InventoryMatch = { kind: "enrollment"; enrollment: AcmeEnrollment } | { kind: "registered"; serialNumber: string };

/** Why a device identifier may be issued for, or null when it is not in our inventory. */
export async function inventoryMatch(identifier: string, now = new Date()): Promise<InventoryMatch | null> {
  const enrollment = await db().acmeEnrollment.findUnique({ where: { clientIdentifier: identifier } });
  if (enrollment && enrollment.expiresAt > now && !enrollment.usedAt) return { kind: "enrollment", enrollment };
  const registered = await db().acmeRegisteredDevice.findUnique({ where: { serialNumber: identifier.toUpperCase() } });
  if (registered) return { kind: "registered", serialNumber: registered.serialNumber };
  return null;
}

/** What Apple attested, checked against the identifier and the inventory entry; a mismatch text or null. */
export function attestedIdentityProblem(identifier: string, match: InventoryMatch, attested: { serialNumber?: string; udid?: string }): string | null {
  const serial = attested.serialNumber ?? null;
  const udid = attested.udid ?? null;
  if (identifier !== udid && identifier.toUpperCase() !== serial?.toUpperCase()) {
    return `the attestation names serial ${serial ?? "(none)"} and UDID ${udid ?? "(none)"}, not the identifier ${identifier}`;
  }
  if (match.kind === "enrollment") {
    const e = match.enrollment;
    // The serial when the enrollment knows it (a Mac attests its ProvisioningUDID, not its MDM UDID); else the UDID.
    if (e.serialNumber) {
      if (e.serialNumber.toUpperCase() !== serial?.toUpperCase()) return `the enrollment was for serial ${e.serialNumber}, the attestation names ${serial ?? "(none)"}`;
    } else if (e.udid && e.udid !== udid) return `the enrollment was for UDID ${e.udid}, the attestation names ${udid ?? "(none)"}`;
  }
  return null;
}
