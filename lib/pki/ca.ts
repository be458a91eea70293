// The server's certificate authority: an RSA-2048 self-signed root created on first
// use, or one the admin imported (a root, or a subordinate with its chain up to the root).
// Private key sealed at rest via lib/secrets/serverKeys. The key only ever signs what we
// build (certificates, CRLs): SCEP requests are decrypted with the RA key (lib/pki/ra.ts).
import crypto from "node:crypto";
import * as pkijs from "pkijs";
import { config } from "../config";
import { getOrCreateServerKey, putServerKey, type ServerKeyMaterial } from "../secrets/serverKeys";
import { ab, allFromPem, DerError, fromPem, toPem, bytesEqual } from "./der";
import { generateRsaKeyPair, importSigningKey, publicKeyInfoFromPem, publicSpkiOfPrivate, spkiDer } from "./keys";
import { nameFromString } from "./names";
import { buildCertificate, certificateDer, isCaCertificate, isSignedBy, keyIdentifier, keyUsageBits, KU } from "./x509";

export interface CaBundle {
  /** The issuing CA: signs every certificate we issue. */
  certDer: Uint8Array;
  certPem: string;
  cert: pkijs.Certificate;
  /** Its issuers for an imported subordinate, nearest first, ending at the root; empty for a root. */
  chainDer: Uint8Array[];
  /** The self-signed root (the CA itself unless imported as a subordinate): the trust anchor devices install. */
  rootDer: Uint8Array;
  /** WebCrypto RSASSA key with usage "sign" only: it cannot decrypt. */
  privateKey: CryptoKey;
}

export class CaImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CaImportError";
  }
}

export const CA_KEY_NAME = "ca";
const CA_YEARS = 10;

let cached: { certPem: string; bundle: CaBundle } | null = null;

function caName(): string {
  let host = "localhost";
  try {
    host = new URL(config().publicUrl).hostname;
  } catch {
    /* config validated elsewhere */
  }
  return `CN=Open Enroll Root CA (${host.slice(0, 36)}),O=Open Enroll`;
}

async function createRoot() {
  const keys = await generateRsaKeyPair(2048);
  const publicKeyInfo = publicKeyInfoFromPem(keys.publicPem);
  const name = nameFromString(caName());
  const now = Date.now();
  const cert = await buildCertificate(
    {
      subject: name,
      issuer: nameFromString(caName()),
      publicKeyInfo,
      notBefore: new Date(now - 5 * 60_000),
      notAfter: new Date(now + CA_YEARS * 365 * 86_400_000),
      ca: true,
      // Certificates and CRLs only: SCEP requests are encrypted to the RA, never to the root.
      keyUsageBits: [KU.keyCertSign, KU.cRLSign],
      issuerKeyId: keyIdentifier(publicKeyInfo),
    },
    await importSigningKey(keys.privatePem),
  );
  return { algorithm: "RSA-2048", publicPem: keys.publicPem, privatePem: keys.privatePem, certPem: toPem(certificateDer(cert), "CERTIFICATE") };
}

async function bundleFrom(material: ServerKeyMaterial) {
  if (cached && cached.certPem === material.certPem) return cached;
  if (!material.certPem) throw new Error("stored CA key has no certificate");
  // The stored PEM holds the CA first, then its chain (imported subordinates).
  const [certDer, ...chainDer] = allFromPem(material.certPem, "CERTIFICATE");
  if (!certDer) throw new Error("stored CA key has no certificate");
  const bundle: CaBundle = {
    certDer,
    certPem: toPem(certDer, "CERTIFICATE"),
    cert: pkijs.Certificate.fromBER(ab(certDer)),
    chainDer,
    rootDer: chainDer.length ? chainDer[chainDer.length - 1] : certDer,
    privateKey: await importSigningKey(material.privatePem),
  };
  cached = { certPem: material.certPem, bundle };
  return cached;
}

export async function getCa(): Promise<CaBundle> {
  return (await bundleFrom(await getOrCreateServerKey(CA_KEY_NAME, createRoot))).bundle;
}

function isSelfIssued(cert: pkijs.Certificate): boolean {
  return cert.issuer.isEqual(cert.subject);
}

/**
 * The chain above an imported CA, nearest issuer first, up to a self-signed root, from the
 * extra certificates the admin supplied (any order). Each link's signature is checked.
 */
async function chainAbove(cert: pkijs.Certificate, extras: pkijs.Certificate[]): Promise<pkijs.Certificate[]> {
  const chain: pkijs.Certificate[] = [];
  let current = cert;
  while (!isSelfIssued(current)) {
    if (chain.length >= 8) throw new CaImportError("the certificate chain is longer than 8 certificates");
    const child = current;
    const candidates = extras.filter((c) => c.subject.isEqual(child.issuer) && !chain.includes(c));
    let issuer: pkijs.Certificate | null = null;
    for (const c of candidates) if (await isSignedBy(child, c)) issuer = c;
    if (!issuer) {
      throw new CaImportError("the CA is a subordinate: add its issuer certificates up to the self-signed root to the certificate PEM (CA first, then the chain)");
    }
    if (!isCaCertificate(issuer)) throw new CaImportError("a certificate in the chain is not a CA certificate (basicConstraints cA is not set)");
    chain.push(issuer);
    current = issuer;
  }
  if (!(await isSignedBy(current, current))) throw new CaImportError("the root of the chain is not validly self-signed");
  return chain;
}

/**
 * Replaces the CA with an admin-supplied certificate and RSA private key (PEM). Checks the
 * key matches the certificate, that it is a CA (basicConstraints cA, keyCertSign when keyUsage
 * is present) and that it is currently valid. Certificates issued by the old CA stay in the
 * inventory but will no longer chain to the new root.
 */
export async function importCa(certPem: string, keyPem: string): Promise<CaBundle> {
  let certDer: Uint8Array;
  let cert: pkijs.Certificate;
  let extras: pkijs.Certificate[];
  try {
    certDer = fromPem(certPem, ["CERTIFICATE"]);
    cert = pkijs.Certificate.fromBER(ab(certDer));
    extras = allFromPem(certPem, "CERTIFICATE")
      .slice(1)
      .map((der) => pkijs.Certificate.fromBER(ab(der)));
  } catch (err) {
    throw new CaImportError(`the certificate is not a PEM X.509 certificate${err instanceof DerError ? `: ${err.message}` : ""}`);
  }
  let keyObject: crypto.KeyObject;
  try {
    keyObject = crypto.createPrivateKey(keyPem);
  } catch {
    throw new CaImportError("the private key is not a readable unencrypted PEM private key");
  }
  if (keyObject.asymmetricKeyType !== "rsa") throw new CaImportError("the CA key must be RSA");
  const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048) throw new CaImportError(`the CA key is ${bits} bits; at least 2048 are required`);
  const privatePem = keyObject.export({ type: "pkcs8", format: "pem" }).toString();
  if (!bytesEqual(publicSpkiOfPrivate(privatePem), spkiDer(cert.subjectPublicKeyInfo))) {
    throw new CaImportError("the private key does not belong to the certificate");
  }
  if (!isCaCertificate(cert)) throw new CaImportError("the certificate is not a CA certificate (basicConstraints cA is not set)");
  const ku = keyUsageBits(cert);
  if (ku && !ku.includes(KU.keyCertSign)) throw new CaImportError("the certificate's key usage does not allow signing certificates (keyCertSign)");
  const now = new Date();
  if (cert.notAfter.value < now || cert.notBefore.value > now) throw new CaImportError("the certificate is not currently valid");
  const chain = await chainAbove(cert, extras);
  for (const c of chain) {
    if (c.notAfter.value < now || c.notBefore.value > now) throw new CaImportError("a certificate in the chain is not currently valid");
  }
  const publicPem = crypto.createPublicKey(keyObject).export({ type: "spki", format: "pem" }).toString();
  const storedPem = [certDer, ...chain.map((c) => certificateDer(c))].map((d) => toPem(d, "CERTIFICATE")).join("");
  const stored = await putServerKey(CA_KEY_NAME, { algorithm: `RSA-${bits}`, publicPem, privatePem, certPem: storedPem });
  cached = null;
  return (await bundleFrom(stored)).bundle;
}

/** Forget the parsed CA (tests that swap databases). */
export function clearCaCache(): void {
  cached = null;
}
