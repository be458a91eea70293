// Apple Managed Device Attestation: verifies the certificate chain a device returns (ACME
// device-attest-01 `apple` statements, MDM DeviceInformation DevicePropertiesAttestation) to
// the Apple Enterprise Attestation Root CA and reads the device properties from the leaf.
// Apple, "Validating a Managed Device Attestation"; OIDs from the DevicePropertiesAttestation
// description in vendor/apple-device-management/mdm/commands/information.device.yaml.
// Every failure is an AttestationError with one of four verdicts; nothing else escapes.
import crypto, { X509Certificate } from "node:crypto";
import { allFromPem } from "../pki/der";
import { type CertificateExtension, certificateExtensions, certificateFields, childrenOf, contentOf, readTlv } from "../pki/derReader";
import { APPLE_ENTERPRISE_ATTESTATION_ROOT_CA_PEM } from "./appleRoots";

export type AttestationFailure = "attestation-malformed" | "attestation-chain" | "attestation-nonce" | "attestation-expired";

export class AttestationError extends Error {
  constructor(
    readonly failure: AttestationFailure,
    message: string,
  ) {
    super(message);
    this.name = "AttestationError";
  }
}

/** Leaf-certificate OIDs Apple documents for Managed Device Attestation. */
export const APPLE_ATTESTATION_OID = {
  serialNumber: "1.2.840.113635.100.8.9.1",
  udid: "1.2.840.113635.100.8.9.2",
  softwareUpdateDeviceId: "1.2.840.113635.100.8.9.4",
  osVersion: "1.2.840.113635.100.8.10.1",
  sepOsVersion: "1.2.840.113635.100.8.10.2",
  llbVersion: "1.2.840.113635.100.8.10.3",
  freshness: "1.2.840.113635.100.8.11.1",
  sipStatus: "1.2.840.113635.100.8.13.1",
  secureBootStatus: "1.2.840.113635.100.8.13.2",
  thirdPartyKextsAllowed: "1.2.840.113635.100.8.13.3",
} as const;

/** Boot-chain properties (macOS 14.2+, LLB from iOS/tvOS 17.2+): present only when the leaf carries them. */
export interface BootSecurity {
  llbVersion?: string;
  /** 0: System Integrity Protection enabled, 1: disabled. */
  sipStatus?: number;
  /** "Full Security", "Reduced Security" or "Permissive Security". */
  secureBootStatus?: string;
  /** 0: no third-party kernel extensions; anything else: some allowed. */
  thirdPartyKextsAllowed?: number;
}

export interface AttestedDevice {
  serialNumber?: string;
  /** For a Mac: the ProvisioningUDID, not the MDM UDID (Apple's note on OID …8.9.2). */
  udid?: string;
  osVersion?: string;
  sepOsVersion?: string;
  softwareUpdateDeviceId?: string;
  bootSecurity?: BootSecurity;
  /** The freshness code as carried by the leaf. */
  freshness?: Buffer;
  /** SubjectPublicKeyInfo DER of the attested key (the Secure Enclave key for ACME). */
  publicKeySpki: Buffer;
  leaf: X509Certificate;
}

export interface VerifyOptions {
  roots: X509Certificate[];
  /** When given, the leaf's freshness code must equal it (ACME: SHA-256 of the token; MDM: the DeviceAttestationNonce). */
  expectedFreshness?: Buffer;
  now?: Date;
}

// Apple sends leaf and intermediate; a few more would still be a plausible chain, dozens are an attack.
const MAX_CHAIN = 5;
const MAX_CERT_BYTES = 16 * 1024;
const MAX_FIELD_BYTES = 256;
const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const OID_KEY_USAGE = "2.5.29.15";
// Critical extensions we process (RFC 5280 4.2: a certificate with any other critical extension is refused).
const UNDERSTOOD_CRITICAL = new Set([OID_BASIC_CONSTRAINTS, OID_KEY_USAGE, "2.5.29.37", "2.5.29.17", "2.5.29.32", "2.5.29.14", "2.5.29.35"]);

interface ParsedCert {
  x509: X509Certificate;
  der: Buffer;
  extensions: CertificateExtension[];
  issuer: Buffer;
  subject: Buffer;
}

function parse(der: unknown, index: number): ParsedCert {
  if (!Buffer.isBuffer(der) && !(der instanceof Uint8Array)) throw new AttestationError("attestation-malformed", `certificate ${index} is not bytes`);
  const bytes = Buffer.from(der);
  if (bytes.length === 0 || bytes.length > MAX_CERT_BYTES) throw new AttestationError("attestation-malformed", `certificate ${index} has ${bytes.length} bytes (1 to ${MAX_CERT_BYTES} allowed)`);
  let x509: X509Certificate;
  let extensions: CertificateExtension[];
  let names: { issuer: Uint8Array; subject: Uint8Array };
  try {
    extensions = certificateExtensions(bytes);
    names = certificateFields(bytes, readTlv(bytes, 0));
    x509 = new X509Certificate(bytes);
  } catch (e) {
    throw new AttestationError("attestation-malformed", `certificate ${index} is not a DER X.509 certificate (${(e as Error).message})`);
  }
  if (!x509.raw.equals(bytes)) throw new AttestationError("attestation-malformed", `certificate ${index} is not in DER form`);
  return { x509, der: bytes, extensions, issuer: Buffer.from(names.issuer), subject: Buffer.from(names.subject) };
}

function extension(c: ParsedCert, oid: string): CertificateExtension | undefined {
  const found = c.extensions.filter((e) => e.oid === oid);
  if (found.length > 1) throw new AttestationError("attestation-malformed", `extension ${oid} appears ${found.length} times`);
  return found[0];
}

/** basicConstraints (RFC 5280 4.2.1.9): cA flag and pathLenConstraint. */
function basicConstraints(c: ParsedCert): { ca: boolean; pathLen: number | null } {
  const ext = extension(c, OID_BASIC_CONSTRAINTS);
  if (!ext) return { ca: false, pathLen: null };
  const v = ext.value;
  const seq = readTlv(v, 0);
  if (seq.tag !== 0x30 || seq.end !== v.length) throw new AttestationError("attestation-malformed", "malformed basicConstraints");
  let ca = false;
  let pathLen: number | null = null;
  for (const t of childrenOf(v, seq)) {
    const body = contentOf(v, t);
    if (t.tag === 0x01 && body.length === 1) ca = body[0] !== 0;
    else if (t.tag === 0x02 && body.length >= 1 && body.length <= 2 && !(body[0] & 0x80)) pathLen = body.reduce((n, b) => n * 256 + b, 0);
    else throw new AttestationError("attestation-malformed", "malformed basicConstraints");
  }
  return { ca, pathLen };
}

/** Whether keyUsage, when present, allows keyCertSign (bit 5). */
function mayCertSign(c: ParsedCert): boolean {
  const ext = extension(c, OID_KEY_USAGE);
  if (!ext) return true;
  const v = ext.value;
  const bits = readTlv(v, 0);
  if (bits.tag !== 0x03 || bits.end !== v.length || bits.end - bits.contentStart < 2) throw new AttestationError("attestation-malformed", "malformed keyUsage");
  return (v[bits.contentStart + 1] & 0x04) !== 0;
}

function checkCritical(c: ParsedCert, index: number): void {
  for (const e of c.extensions) {
    if (e.critical && !UNDERSTOOD_CRITICAL.has(e.oid)) {
      throw new AttestationError("attestation-chain", `certificate ${index} has an unrecognised critical extension ${e.oid}`);
    }
  }
}

function checkValidity(c: X509Certificate, now: Date, what: string): void {
  const from = Date.parse(c.validFrom);
  const to = Date.parse(c.validTo);
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new AttestationError("attestation-malformed", `${what} has an unreadable validity period`);
  if (now.getTime() < from) throw new AttestationError("attestation-expired", `${what} is not valid before ${c.validFrom}`);
  if (now.getTime() > to) throw new AttestationError("attestation-expired", `${what} expired ${c.validTo}`);
}

// Name chaining and the signature only: CA flags, key usage and path length are checked
// separately so each refusal names its reason.
function issuedBy(child: ParsedCert, issuer: ParsedCert): boolean {
  try {
    return child.issuer.equals(issuer.subject) && child.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

// Apple encodes these values as the raw bytes of extnValue (as smallstep and Fleet read them);
// a DER string wrapper is also accepted, since the documentation does not spell the encoding out.
function text(value: Uint8Array, name: string): string {
  if (value.length > MAX_FIELD_BYTES) throw new AttestationError("attestation-malformed", `${name} is too long`);
  let bytes = value;
  if (value.length >= 2 && [0x0c, 0x13, 0x16].includes(value[0])) {
    try {
      const t = readTlv(value, 0);
      if (t.end === value.length) bytes = contentOf(value, t);
    } catch {
      // not a wrapper: the raw bytes are the value
    }
  }
  const s = Buffer.from(bytes).toString("utf8");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (s.includes("\uFFFD") || /[\u0000-\u001f\u007f]/.test(s)) throw new AttestationError("attestation-malformed", `${name} is not text`);
  return s;
}

function smallNumber(value: Uint8Array, name: string): number {
  if (value.length === 3 && value[0] === 0x02 && value[1] === 1) return value[2];
  if (value.length === 1 && value[0] <= 1) return value[0];
  const s = text(value, name);
  if (/^\d{1,9}$/.test(s)) return Number(s);
  throw new AttestationError("attestation-malformed", `${name} is not a number`);
}

function readLeaf(leaf: ParsedCert): Omit<AttestedDevice, "publicKeySpki" | "leaf"> {
  const O = APPLE_ATTESTATION_OID;
  const get = (oid: string) => extension(leaf, oid)?.value;
  const str = (oid: string, name: string) => {
    const v = get(oid);
    return v === undefined ? undefined : text(v, name);
  };
  const out: Omit<AttestedDevice, "publicKeySpki" | "leaf"> = {};
  const set = <K extends keyof typeof out>(k: K, v: (typeof out)[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set("serialNumber", str(O.serialNumber, "serial number"));
  set("udid", str(O.udid, "UDID"));
  set("osVersion", str(O.osVersion, "OS version"));
  set("sepOsVersion", str(O.sepOsVersion, "sepOS version"));
  set("softwareUpdateDeviceId", str(O.softwareUpdateDeviceId, "software update device ID"));
  const fresh = get(O.freshness);
  if (fresh !== undefined) {
    if (fresh.length > 64) throw new AttestationError("attestation-malformed", "freshness code is too long");
    out.freshness = Buffer.from(fresh);
  }
  const boot: BootSecurity = {};
  const llb = str(O.llbVersion, "LLB version");
  if (llb !== undefined) boot.llbVersion = llb;
  const sip = get(O.sipStatus);
  if (sip !== undefined) boot.sipStatus = smallNumber(sip, "SIP status");
  const secureBoot = str(O.secureBootStatus, "secure boot status");
  if (secureBoot !== undefined) boot.secureBootStatus = secureBoot;
  const kexts = get(O.thirdPartyKextsAllowed);
  if (kexts !== undefined) boot.thirdPartyKextsAllowed = smallNumber(kexts, "third-party kernel extension status");
  if (Object.keys(boot).length > 0) out.bootSecurity = boot;
  return out;
}

function verify(chainDer: readonly unknown[], opts: VerifyOptions): AttestedDevice {
  if (!Array.isArray(chainDer) || chainDer.length === 0) throw new AttestationError("attestation-malformed", "the attestation has no certificates");
  if (chainDer.length > MAX_CHAIN) throw new AttestationError("attestation-malformed", `the attestation has ${chainDer.length} certificates (at most ${MAX_CHAIN})`);
  if (opts.roots.length === 0) throw new AttestationError("attestation-chain", "no attestation root is configured");
  const now = opts.now ?? new Date();
  let certs = chainDer.map((d, i) => parse(d, i));
  // A device may include the root itself; the anchor is always ours, never the sender's.
  const last = certs[certs.length - 1];
  if (certs.length > 1 && opts.roots.some((r) => r.raw.equals(last.der))) certs = certs.slice(0, -1);

  certs.forEach((c, i) => {
    checkCritical(c, i);
    checkValidity(c.x509, now, i === 0 ? "the attestation leaf" : `intermediate ${i}`);
  });
  if (basicConstraints(certs[0]).ca) throw new AttestationError("attestation-chain", "the attestation leaf is a CA certificate");

  for (let i = 0; i + 1 < certs.length; i++) {
    const issuer = certs[i + 1];
    if (!issuedBy(certs[i], issuer)) throw new AttestationError("attestation-chain", `certificate ${i} is not signed by certificate ${i + 1}`);
    const bc = basicConstraints(issuer);
    if (!bc.ca || !mayCertSign(issuer)) throw new AttestationError("attestation-chain", `certificate ${i + 1} is not a CA certificate`);
    // Intermediates between this issuer and the leaf (RFC 5280 6.1.4 (l)-(m)).
    if (bc.pathLen !== null && i > bc.pathLen) throw new AttestationError("attestation-chain", `certificate ${i + 1} allows ${bc.pathLen} intermediates below it, the chain has ${i}`);
  }
  const top = certs[certs.length - 1];
  const rootParsed = opts.roots.map((r, i) => parse(r.raw, certs.length + i)).find((r) => issuedBy(top, r));
  if (!rootParsed) throw new AttestationError("attestation-chain", `the chain does not end at a configured attestation root (top issuer: ${top.x509.issuer.replace(/\n/g, ", ")})`);
  const root = rootParsed.x509;
  const rootBc = basicConstraints(rootParsed);
  if (!rootBc.ca || !mayCertSign(rootParsed)) throw new AttestationError("attestation-chain", "the configured root is not a CA certificate");
  if (rootBc.pathLen !== null && certs.length - 1 > rootBc.pathLen) throw new AttestationError("attestation-chain", "the chain is longer than the root allows");
  checkValidity(root, now, "the attestation root");

  const leaf = certs[0];
  const fields = readLeaf(leaf);
  if (opts.expectedFreshness !== undefined) {
    const got = fields.freshness;
    if (!got) throw new AttestationError("attestation-nonce", "the attestation carries no freshness code");
    if (got.length !== opts.expectedFreshness.length || !crypto.timingSafeEqual(got, opts.expectedFreshness)) {
      throw new AttestationError("attestation-nonce", "the attestation's freshness code does not match the nonce we sent");
    }
  }
  let publicKeySpki: Buffer;
  try {
    publicKeySpki = leaf.x509.publicKey.export({ type: "spki", format: "der" });
  } catch {
    throw new AttestationError("attestation-malformed", "the attestation leaf's public key cannot be read");
  }
  return { ...fields, publicKeySpki, leaf: leaf.x509 };
}

/**
 * Verifies an Apple attestation chain (leaf first) to one of `roots`: signatures, validity
 * dates, CA flags, key usage, path length, and the freshness code when expected.
 * Throws only AttestationError.
 */
export function verifyAppleAttestationChain(chainDer: Buffer[], opts: VerifyOptions): AttestedDevice {
  try {
    return verify(chainDer, opts);
  } catch (e) {
    if (e instanceof AttestationError) throw e;
    throw new AttestationError("attestation-malformed", `the attestation could not be read (${(e as Error).message})`);
  }
}

let rootsCache: { pem: string | undefined; roots: X509Certificate[] } | null = null;

/**
 * The trust anchors for attestations: Apple Enterprise Attestation Root CA, or, when the
 * environment sets ATTESTATION_TEST_ROOTS_PEM (PEM text of one or more certificates), those
 * instead: for test stand-ins and labs. Every check still runs; only the anchor differs.
 */
export function attestationRoots(): X509Certificate[] {
  const pem = process.env.ATTESTATION_TEST_ROOTS_PEM?.trim() || undefined;
  if (rootsCache && rootsCache.pem === pem) return rootsCache.roots;
  const source = pem ?? APPLE_ENTERPRISE_ATTESTATION_ROOT_CA_PEM;
  const roots = allFromPem(source, "CERTIFICATE").map((der) => new X509Certificate(Buffer.from(der)));
  if (roots.length === 0) throw new Error("ATTESTATION_TEST_ROOTS_PEM holds no PEM certificate");
  rootsCache = { pem, roots };
  return roots;
}
