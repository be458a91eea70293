// Stand-ins for Apple's attestation CA: a test root and intermediate, and leaf certificates
// carrying the Managed Device Attestation OIDs as Apple documents them (values as raw bytes in
// extnValue). Built from DER pieces directly, not through lib/pki's certificate builder, so the
// verifier is not tested against its own assumptions; openssl and pyca parse these in the tests.
import crypto, { type KeyObject, X509Certificate } from "node:crypto";
import { algorithmIdentifierDer, derExtension, derSmallInteger, derTime, derTlv, oidDer, randomSerial, toPem } from "@/lib/pki/der";

export const ATTESTATION_OIDS = {
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

export interface TestCertOptions {
  subjectCn: string;
  issuerCn: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  ca?: boolean;
  pathLen?: number;
  /** keyUsage bits as the first content byte of the BIT STRING (0x06 = keyCertSign|cRLSign, 0x80 = digitalSignature). */
  keyUsageByte?: number;
  notBefore?: Date;
  notAfter?: Date;
  extensions?: Uint8Array[];
  /** RSA only: "sha1" as Apple's iPhone Device CA signs (default sha256). */
  hash?: "sha1" | "sha256";
  /** Issuer/subject organisation (default "Open Enroll Test"). */
  organization?: string;
}

function name(cn: string, org = "Open Enroll Test"): Uint8Array {
  const rdn = (oid: string, value: string, tag: number) => derTlv(0x31, derTlv(0x30, oidDer(oid), derTlv(tag, Buffer.from(value, "utf8"))));
  return derTlv(0x30, rdn("2.5.4.3", cn, 0x0c), rdn("2.5.4.10", org, 0x0c), rdn("2.5.4.6", "US", 0x13));
}

function signatureAlgorithm(key: KeyObject, hash?: "sha1" | "sha256"): { oid: string; hash: string } {
  if (key.asymmetricKeyType === "ec") {
    return key.asymmetricKeyDetails?.namedCurve === "secp384r1" ? { oid: "1.2.840.10045.4.3.3", hash: "sha384" } : { oid: "1.2.840.10045.4.3.2", hash: "sha256" };
  }
  return hash === "sha1" ? { oid: "1.2.840.113549.1.1.5", hash: "sha1" } : { oid: "1.2.840.113549.1.1.11", hash: "sha256" };
}

const HOUR = 3600_000;

/** keyUsage BIT STRING of one byte, unused trailing bits counted as DER requires. */
function keyUsage(byte: number): Uint8Array {
  let unused = 0;
  while (unused < 7 && !(byte & (1 << unused))) unused++;
  return derTlv(0x03, new Uint8Array([unused, byte]));
}

/** One X.509 v3 certificate (DER) from the options, signed with signingKey. */
export function makeTestCertificate(o: TestCertOptions): Buffer {
  const alg = signatureAlgorithm(o.signingKey, o.hash);
  const spki = o.publicKey.export({ type: "spki", format: "der" });
  const keyId = crypto.createHash("sha1").update(spki).digest();
  const bc = o.ca ? derTlv(0x30, new Uint8Array([0x01, 0x01, 0xff]), o.pathLen !== undefined ? derSmallInteger(o.pathLen) : new Uint8Array(0)) : derTlv(0x30);
  const exts = [
    derExtension("2.5.29.19", bc, true),
    derExtension("2.5.29.15", keyUsage(o.keyUsageByte ?? (o.ca ? 0x06 : 0x80)), true),
    derExtension("2.5.29.14", derTlv(0x04, keyId)),
    ...(o.extensions ?? []),
  ];
  const tbs = derTlv(
    0x30,
    derTlv(0xa0, derSmallInteger(2)),
    derTlv(0x02, randomSerial()),
    algorithmIdentifierDer(alg.oid),
    name(o.issuerCn, o.organization),
    derTlv(0x30, derTime(o.notBefore ?? new Date(Date.now() - HOUR)), derTime(o.notAfter ?? new Date(Date.now() + 24 * HOUR))),
    name(o.subjectCn, o.organization),
    spki,
    derTlv(0xa3, derTlv(0x30, ...exts)),
  );
  const sig = crypto.sign(alg.hash, tbs, o.signingKey);
  return Buffer.from(derTlv(0x30, tbs, algorithmIdentifierDer(alg.oid), derTlv(0x03, new Uint8Array([0]), sig)));
}

export interface TestAttestationRoot {
  rootPem: string;
  rootDer: Buffer;
  root: X509Certificate;
  rootKey: KeyObject;
  intermediateDer: Buffer;
  intermediateKey: KeyObject;
  intermediateCn: string;
}

const p384 = () => crypto.generateKeyPairSync("ec", { namedCurve: "secp384r1" });

/** A P-384 root and intermediate shaped like Apple's (root without path limit, intermediate pathLen 0). */
export function makeTestAttestationRoot(cn = "Test Enterprise Attestation Root CA"): TestAttestationRoot {
  const root = p384();
  const rootDer = makeTestCertificate({ subjectCn: cn, issuerCn: cn, publicKey: root.publicKey, signingKey: root.privateKey, ca: true, notAfter: new Date(Date.now() + 3650 * 24 * HOUR) });
  const inter = p384();
  const intermediateCn = `${cn} Sub CA 1`;
  const intermediateDer = makeTestCertificate({
    subjectCn: intermediateCn,
    issuerCn: cn,
    publicKey: inter.publicKey,
    signingKey: root.privateKey,
    ca: true,
    pathLen: 0,
    notAfter: new Date(Date.now() + 365 * 24 * HOUR),
  });
  return {
    rootPem: toPem(rootDer, "CERTIFICATE"),
    rootDer,
    root: new X509Certificate(rootDer),
    rootKey: root.privateKey,
    intermediateDer,
    intermediateKey: inter.privateKey,
    intermediateCn,
  };
}

export interface AttestationChainOptions {
  serialNumber?: string;
  udid?: string;
  osVersion?: string;
  sepOsVersion?: string;
  llbVersion?: string;
  secureBootStatus?: string;
  sipStatus?: number;
  freshness: Buffer;
  publicKey: KeyObject;
  notBefore?: Date;
  notAfter?: Date;
  /** Further leaf extensions, already encoded. */
  extensions?: Uint8Array[];
}

/** [leaf, intermediate] as a device returns them (x5c / DevicePropertiesAttestation order). */
export function makeAppleAttestationChain(root: TestAttestationRoot, o: AttestationChainOptions): Buffer[] {
  const O = ATTESTATION_OIDS;
  const raw = (oid: string, value: string | Buffer | undefined) => (value === undefined ? [] : [derExtension(oid, typeof value === "string" ? Buffer.from(value, "utf8") : value)]);
  const leaf = makeTestCertificate({
    subjectCn: crypto.randomBytes(16).toString("hex"),
    issuerCn: root.intermediateCn,
    publicKey: o.publicKey,
    signingKey: root.intermediateKey,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    extensions: [
      ...raw(O.serialNumber, o.serialNumber),
      ...raw(O.udid, o.udid),
      ...raw(O.osVersion, o.osVersion),
      ...raw(O.sepOsVersion, o.sepOsVersion),
      ...raw(O.llbVersion, o.llbVersion),
      ...raw(O.secureBootStatus, o.secureBootStatus),
      ...raw(O.sipStatus, o.sipStatus === undefined ? undefined : Buffer.from(derSmallInteger(o.sipStatus))),
      ...raw(O.freshness, o.freshness),
      ...(o.extensions ?? []),
    ],
  });
  return [leaf, root.intermediateDer];
}
