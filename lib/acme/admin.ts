// What admins manage and see of ACME: the directory URL, the DNS domains http-01 may issue
// for, the pre-registered serial numbers (CSV or API), and every attested issuance.
import { db } from "../db/client";
import { badRequest, notFound } from "../errors";
import { allowedDnsDomains, DEVICE_ID_PATTERN } from "./policy";
import { acmeUrl } from "./urls";

export const MAX_IMPORT_ROWS = 10_000;

export async function acmeSettings(): Promise<{ directoryUrl: string; dnsDomains: string[] }> {
  return { directoryUrl: acmeUrl.directory(), dnsDomains: await allowedDnsDomains() };
}

export interface RegisteredDevice {
  serialNumber: string;
  note: string | null;
  createdBy: string | null;
  createdAt: Date;
}

export async function listRegisteredDevices(opts: { take?: number; skip?: number; q?: string } = {}): Promise<{ total: number; items: RegisteredDevice[] }> {
  const where = opts.q ? { serialNumber: { contains: opts.q.toUpperCase().slice(0, 64) } } : {};
  const [total, items] = await Promise.all([
    db().acmeRegisteredDevice.count({ where }),
    db().acmeRegisteredDevice.findMany({ where, orderBy: { createdAt: "desc" }, take: Math.min(Math.max(opts.take ?? 100, 1), 1000), skip: Math.max(opts.skip ?? 0, 0) }),
  ]);
  return { total, items };
}

export interface ImportRow {
  serialNumber: string;
  note?: string | null;
}

/**
 * Serial numbers from CSV text: one per line, first column the serial, an optional second
 * column a note; a header line (its first cell not a serial) and blank lines are skipped.
 */
export function parseSerialCsv(text: string): ImportRow[] {
  const rows: ImportRow[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const [first, ...rest] = line.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
    if (i === 0 && /serial/i.test(first)) return;
    rows.push({ serialNumber: first, note: rest.join(" ").trim() || null });
  });
  return rows;
}

/** Adds serials (already present ones keep their row); refuses the whole import if one row is invalid. */
export async function importRegisteredDevices(rows: ImportRow[], createdBy: string | null): Promise<{ added: number; alreadyPresent: number }> {
  if (rows.length === 0) throw badRequest("no_serials", "no serial numbers given");
  if (rows.length > MAX_IMPORT_ROWS) throw badRequest("too_many_serials", `at most ${MAX_IMPORT_ROWS} serial numbers per import`);
  const clean = rows.map((r, i) => {
    const serialNumber = typeof r.serialNumber === "string" ? r.serialNumber.trim().toUpperCase() : "";
    if (!DEVICE_ID_PATTERN.test(serialNumber)) throw badRequest("invalid_serial", `row ${i + 1}: "${String(r.serialNumber).slice(0, 40)}" is not a serial number (letters, digits, hyphens)`);
    const note = typeof r.note === "string" ? r.note.slice(0, 200) : null;
    return { serialNumber, note };
  });
  const unique = [...new Map(clean.map((r) => [r.serialNumber, r])).values()];
  const existing = new Set(
    (await db().acmeRegisteredDevice.findMany({ where: { serialNumber: { in: unique.map((r) => r.serialNumber) } }, select: { serialNumber: true } })).map((r) => r.serialNumber),
  );
  const fresh = unique.filter((r) => !existing.has(r.serialNumber));
  if (fresh.length) await db().acmeRegisteredDevice.createMany({ data: fresh.map((r) => ({ ...r, createdBy })) });
  return { added: fresh.length, alreadyPresent: unique.length - fresh.length };
}

export async function removeRegisteredDevice(serialNumber: string): Promise<void> {
  const { count } = await db().acmeRegisteredDevice.deleteMany({ where: { serialNumber: serialNumber.trim().toUpperCase() } });
  if (!count) throw notFound("registered serial number");
}

export interface AttestedIssuance {
  orderId: string;
  identifier: string;
  certSerial: string;
  issuedAt: Date;
  revoked: boolean;
  deviceId: string | null;
  serialNumber: string | null;
  udid: string | null;
  osVersion: string | null;
  sepOsVersion: string | null;
  attestedAt: string | null;
}

/** Certificates issued through device-attest-01, newest first, with what Apple attested; optionally for one device. */
export async function attestedIssuances(opts: { take?: number; deviceId?: string; certSerial?: string } = {}): Promise<AttestedIssuance[]> {
  const certs = opts.certSerial ? [opts.certSerial] : opts.deviceId ? (await db().certificate.findMany({ where: { deviceId: opts.deviceId }, select: { serial: true } })).map((c) => c.serial) : null;
  const orders = await db().acmeOrder.findMany({
    where: { status: "valid", certSerial: certs ? { in: certs } : { not: null }, identifiers: { contains: "permanent-identifier" } },
    orderBy: { createdAt: "desc" },
    take: Math.min(Math.max(opts.take ?? 50, 1), 500),
  });
  const out: AttestedIssuance[] = [];
  for (const o of orders) {
    const [authz, cert] = await Promise.all([
      db().acmeAuthorization.findFirst({ where: { orderId: o.id, identifierType: "permanent-identifier" }, select: { identifierValue: true, attestation: true } }),
      db().certificate.findUnique({ where: { serial: o.certSerial! }, select: { issuedAt: true, revokedAt: true, deviceId: true } }),
    ]);
    const a = authz?.attestation
      ? (JSON.parse(authz.attestation) as { serialNumber: string | null; udid: string | null; osVersion: string | null; sepOsVersion: string | null; verifiedAt: string })
      : null;
    out.push({
      orderId: o.id,
      identifier: authz?.identifierValue ?? "",
      certSerial: o.certSerial!,
      issuedAt: cert?.issuedAt ?? o.createdAt,
      revoked: Boolean(cert?.revokedAt),
      deviceId: cert?.deviceId ?? null,
      serialNumber: a?.serialNumber ?? null,
      udid: a?.udid ?? null,
      osVersion: a?.osVersion ?? null,
      sepOsVersion: a?.sepOsVersion ?? null,
      attestedAt: a?.verifiedAt ?? null,
    });
  }
  return out;
}

/** The API's import body: JSON { serialNumbers: [...] } or { devices: [{ serialNumber, note }] }, or CSV text. */
export function importRowsFromBody(contentType: string | null, bytes: Uint8Array): ImportRow[] {
  const text = new TextDecoder().decode(bytes);
  if ((contentType ?? "").toLowerCase().startsWith("text/csv")) return parseSerialCsv(text);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest("invalid_json", 'send JSON { "serialNumbers": [...] } or text/csv');
  }
  const b = (body ?? {}) as { serialNumbers?: unknown; devices?: unknown };
  if (Array.isArray(b.serialNumbers)) return b.serialNumbers.map((s) => ({ serialNumber: typeof s === "string" ? s : "" }));
  if (Array.isArray(b.devices)) {
    return b.devices.map((d) => {
      const o = (d ?? {}) as { serialNumber?: unknown; note?: unknown };
      return { serialNumber: typeof o.serialNumber === "string" ? o.serialNumber : "", note: typeof o.note === "string" ? o.note : null };
    });
  }
  throw badRequest("invalid_body", 'send JSON { "serialNumbers": [...] } or text/csv');
}

/** What Apple attested for the certificate, when it was issued through device-attest-01; else null. */
export async function attestationForCertificate(serial: string): Promise<AttestedIssuance | null> {
  return (await attestedIssuances({ take: 1, certSerial: serial }))[0] ?? null;
}
