// The MDM enrollment profile (.mobileconfig): trust anchor (com.apple.security.root), an
// identity (com.apple.security.scep or .pkcs12) and com.apple.mdm pointing at that identity.
// Used by OTA enrollment and account-driven enrollment (EnrollmentMode BYOD/ADDE).
// Every payload gets a fresh PayloadUUID and a PayloadIdentifier unique within the profile;
// the top-level identifier is stable so a re-enrollment replaces the old profile.
import crypto from "node:crypto";
import { build as buildPlist, type PlistValue } from "plist";
import { config } from "../config";
import { NameError, nameToAppleSubject, type AppleSubject } from "../pki/names";
import type { ProfileTrust } from "../pki/trust";

export { signProfile } from "./signProfile";

export interface ScepIdentity {
  kind: "scep";
  /** The SCEP URL, without a query string (Apple appends ?operation=…). */
  url: string;
  /** SCEP "Name" (CA identifier understood by the server). */
  name: string;
  challenge: string;
  /** "CN=…,O=…" (fully expanded; no template variables). */
  subject: string;
  keySize: number;
  /** Apple's bit mask: 1 = signing, 4 = encryption. */
  keyUsage: number;
  allowAllAppsAccess: boolean;
  keyIsExtractable: boolean;
  subjectAltName?: { rfc822Name?: string; dNSName?: string; uniformResourceIdentifier?: string; ntPrincipalName?: string };
  /** An external CA's pin (SHA-1 of its top certificate); default: the built-in root's. */
  caFingerprint?: Uint8Array;
}

export interface Pkcs12Identity {
  kind: "pkcs12";
  data: Uint8Array;
  password?: string;
  fileName?: string;
  allowAllAppsAccess?: boolean;
  keyIsExtractable?: boolean;
}

/**
 * A com.apple.security.acme payload (built by lib/acme for a device that can attest): the MDM
 * identity comes from the ACME server, the key from the Secure Enclave, attested by Apple.
 * Its PayloadUUID and PayloadIdentifier are set here, like every payload's.
 */
export interface AcmeIdentity {
  kind: "acme";
  payload: PlistObject;
}

export type ServerCapability = "com.apple.mdm.per-user-connections" | "com.apple.mdm.bootstraptoken" | "com.apple.mdm.token";

export interface MdmOptions {
  serverUrl: string;
  checkInUrl: string;
  topic: string;
  /** Omit for user enrollment (EnrollmentMode BYOD): Apple ignores it there. */
  accessRights?: number;
  signMessage: boolean;
  checkOutWhenRemoved: boolean;
  enrollmentMode?: "BYOD" | "ADDE";
  assignedManagedAppleId?: string;
  serverCapabilities?: ServerCapability[];
}

export type PlistObject = { [key: string]: PlistValue };

export interface EnrollmentProfileOptions {
  displayName: string;
  organization?: string;
  description?: string;
  /** Reverse-DNS prefix for PayloadIdentifiers; default derived from PUBLIC_URL's host. */
  identifierBase?: string;
  /** The root for the trust payload and the CAFingerprint every SCEP payload carries (lib/pki/trust). */
  trust: ProfileTrust;
  identity: ScepIdentity | Pkcs12Identity | AcmeIdentity;
  mdm: MdmOptions;
}

export interface EnrollmentProfile {
  xml: string;
  payloadUuids: { profile: string; root: string; identity: string; mdm: string };
  identifiers: { profile: string; root: string; identity: string; mdm: string };
}

/** All access rights (1…4096). */
export const ACCESS_RIGHTS_ALL = 8191;

export class ProfileOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProfileOptionsError";
  }
}

/** "https://mdm.example.com" → "com.example.mdm.enroll". */
export function defaultIdentifierBase(publicUrl = config().publicUrl): string {
  const host = new URL(publicUrl).hostname.toLowerCase();
  const labels = host
    .split(".")
    .reverse()
    .map((l) => l.replace(/[^a-z0-9-]/g, "-"))
    .filter(Boolean);
  return [...labels, "enroll"].join(".");
}

const uuid = () => crypto.randomUUID().toUpperCase();

function checkAccessRights(v: number): void {
  // Apple: not 0; 2 needs 1; 128 needs 64.
  if (!Number.isInteger(v) || v < 1 || v > ACCESS_RIGHTS_ALL) throw new ProfileOptionsError(`AccessRights must be 1…8191, not ${v}`);
  if (v & 2 && !(v & 1)) throw new ProfileOptionsError("AccessRights: 2 (install profiles) requires 1 (inspect profiles)");
  if (v & 128 && !(v & 64)) throw new ProfileOptionsError("AccessRights: 128 (install provisioning profiles) requires 64");
}

function appleSubject(subject: string): AppleSubject {
  try {
    return nameToAppleSubject(subject);
  } catch (err) {
    if (err instanceof NameError) throw new ProfileOptionsError(`SCEP subject: ${err.message}`);
    throw err;
  }
}

export function scepPayload(id: ScepIdentity, caFingerprint: Uint8Array): PlistObject {
  if (![1024, 2048, 4096].includes(id.keySize)) throw new ProfileOptionsError(`SCEP key size must be 1024, 2048 or 4096, not ${id.keySize}`);
  if (!/^https?:\/\//.test(id.url) || id.url.includes("?")) throw new ProfileOptionsError("the SCEP URL must be http(s) and carry no query string");
  const content: PlistObject = {
    URL: id.url,
    Name: id.name,
    Subject: appleSubject(id.subject),
    // An external CA without challenge: the key is left out rather than empty.
    ...(id.challenge === "" ? {} : { Challenge: id.challenge }),
    Keysize: id.keySize,
    "Key Type": "RSA",
    "Key Usage": id.keyUsage,
    Retries: 3,
    RetryDelay: 10,
    AllowAllAppsAccess: id.allowAllAppsAccess,
    KeyIsExtractable: id.keyIsExtractable,
  };
  // Pins the CA: a device on a plain-http SCEP URL cannot be handed another CA's RA.
  content.CAFingerprint = Buffer.from(id.caFingerprint ?? caFingerprint);
  if (id.subjectAltName) {
    const san = Object.fromEntries(Object.entries(id.subjectAltName).filter(([, v]) => typeof v === "string" && v !== "")) as PlistObject;
    if (Object.keys(san).length > 0) content.SubjectAltName = san;
  }
  return { PayloadType: "com.apple.security.scep", PayloadDisplayName: "Device identity (SCEP)", PayloadContent: content };
}

function pkcs12Payload(id: Pkcs12Identity): PlistObject {
  const p: PlistObject = {
    PayloadType: "com.apple.security.pkcs12",
    PayloadDisplayName: "Device identity",
    PayloadContent: Buffer.from(id.data),
    PayloadCertificateFileName: id.fileName ?? "identity.p12",
  };
  if (id.password !== undefined) p.Password = id.password;
  if (id.allowAllAppsAccess !== undefined) p.AllowAllAppsAccess = id.allowAllAppsAccess;
  if (id.keyIsExtractable !== undefined) p.KeyIsExtractable = id.keyIsExtractable;
  return p;
}

/**
 * Plain http is only tolerated for a server on this machine (development and browser tests,
 * where no device enrolls); Apple's schema requires https, so such a profile is not installable.
 */
function isLoopbackHttp(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
  } catch {
    return false;
  }
}

function mdmPayload(m: MdmOptions, identityUuid: string): PlistObject {
  for (const [k, v] of [
    ["ServerURL", m.serverUrl],
    ["CheckInURL", m.checkInUrl],
  ] as const) {
    if (!/^https:\/\//.test(v) && !isLoopbackHttp(v)) throw new ProfileOptionsError(`${k} must be an https URL (Apple refuses others): ${v}`);
  }
  const p: PlistObject = {
    PayloadType: "com.apple.mdm",
    PayloadDisplayName: "Device management",
    ServerURL: m.serverUrl,
    CheckInURL: m.checkInUrl,
    Topic: m.topic,
    IdentityCertificateUUID: identityUuid,
    SignMessage: m.signMessage,
    CheckOutWhenRemoved: m.checkOutWhenRemoved,
  };
  if (m.enrollmentMode === "BYOD") {
    if (m.accessRights !== undefined) throw new ProfileOptionsError("user enrollment (BYOD) profiles carry no AccessRights");
  } else if (m.accessRights !== undefined) {
    checkAccessRights(m.accessRights);
    p.AccessRights = m.accessRights;
  }
  if (m.enrollmentMode) p.EnrollmentMode = m.enrollmentMode;
  if (m.assignedManagedAppleId) p.AssignedManagedAppleID = m.assignedManagedAppleId;
  if (m.serverCapabilities && m.serverCapabilities.length > 0) p.ServerCapabilities = [...new Set(m.serverCapabilities)];
  return p;
}

export function buildEnrollmentProfile(opts: EnrollmentProfileOptions): EnrollmentProfile {
  const base = opts.identifierBase ?? defaultIdentifierBase();
  const uuids = { profile: uuid(), root: uuid(), identity: uuid(), mdm: uuid() };
  const identifiers = { profile: base, root: `${base}.root`, identity: `${base}.identity`, mdm: `${base}.mdm` };

  const root: PlistObject = {
    PayloadType: "com.apple.security.root",
    PayloadDisplayName: "Root certificate",
    PayloadCertificateFileName: "root-ca.cer",
    PayloadContent: Buffer.from(opts.trust.rootDer),
  };
  const identity = opts.identity.kind === "scep" ? scepPayload(opts.identity, opts.trust.caFingerprint) : opts.identity.kind === "acme" ? { ...opts.identity.payload } : pkcs12Payload(opts.identity);
  const mdm = mdmPayload(opts.mdm, uuids.identity);

  const common = (p: PlistObject, key: keyof typeof uuids): PlistObject => ({
    ...p,
    PayloadIdentifier: identifiers[key],
    PayloadUUID: uuids[key],
    PayloadVersion: 1,
    ...(opts.organization ? { PayloadOrganization: opts.organization } : {}),
  });

  const top: PlistObject = {
    PayloadType: "Configuration",
    PayloadVersion: 1,
    PayloadIdentifier: identifiers.profile,
    PayloadUUID: uuids.profile,
    PayloadDisplayName: opts.displayName,
    PayloadDescription: opts.description ?? "Installs the certificates and settings that let your organisation manage this device.",
    // macOS installs an MDM enrollment profile for the whole device, not one user.
    PayloadScope: "System",
    PayloadRemovalDisallowed: false,
    PayloadContent: [common(root, "root"), common(identity, "identity"), common(mdm, "mdm")] as PlistValue[],
  };
  if (opts.organization) top.PayloadOrganization = opts.organization;
  return { xml: buildPlist(top), payloadUuids: uuids, identifiers };
}
