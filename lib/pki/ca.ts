// The server's certificate authority: an RSA-2048 self-signed root created on first
// use, or one the admin imported. Private key sealed at rest via lib/secrets/serverKeys.
// RSA only: SCEP clients encrypt their requests to this key (PKCS#1 v1.5 key transport).
import crypto from "node:crypto";
import * as pkijs from "pkijs";
import { config } from "../config";
import { getOrCreateServerKey, putServerKey, type ServerKeyMaterial } from "../secrets/serverKeys";
import { ab, DerError, fromPem, toPem, bytesEqual } from "./der";
import { generateRsaKeyPair, importSigningKey, publicKeyInfoFromPem, publicSpkiOfPrivate, spkiDer } from "./keys";
import { nameFromString } from "./names";
import { buildCertificate, certificateDer, isCaCertificate, keyIdentifier, keyUsageBits, KU } from "./x509";

export interface CaBundle {
  certDer: Uint8Array;
  certPem: string;
  cert: pkijs.Certificate;
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

let cached: { certPem: string; bundle: CaBundle; keyObject: crypto.KeyObject } | null = null;

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
      // keyEncipherment too: SCEP clients encrypt their PKCS#10 to this certificate.
      keyUsageBits: [KU.digitalSignature, KU.keyEncipherment, KU.keyCertSign, KU.cRLSign],
      issuerKeyId: keyIdentifier(publicKeyInfo),
    },
    await importSigningKey(keys.privatePem),
  );
  return { algorithm: "RSA-2048", publicPem: keys.publicPem, privatePem: keys.privatePem, certPem: toPem(certificateDer(cert), "CERTIFICATE") };
}

async function bundleFrom(material: ServerKeyMaterial) {
  if (cached && cached.certPem === material.certPem) return cached;
  if (!material.certPem) throw new Error("stored CA key has no certificate");
  const certDer = fromPem(material.certPem, ["CERTIFICATE"]);
  const bundle: CaBundle = {
    certDer,
    certPem: toPem(certDer, "CERTIFICATE"),
    cert: pkijs.Certificate.fromBER(ab(certDer)),
    privateKey: await importSigningKey(material.privatePem),
  };
  cached = { certPem: material.certPem, bundle, keyObject: crypto.createPrivateKey(material.privatePem) };
  return cached;
}

export async function getCa(): Promise<CaBundle> {
  return (await bundleFrom(await getOrCreateServerKey(CA_KEY_NAME, createRoot))).bundle;
}

/** The CA private key as a node:crypto key, for RSA decryption of SCEP envelopes. */
export async function getCaDecryptionKey(): Promise<crypto.KeyObject> {
  return (await bundleFrom(await getOrCreateServerKey(CA_KEY_NAME, createRoot))).keyObject;
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
  try {
    certDer = fromPem(certPem, ["CERTIFICATE"]);
    cert = pkijs.Certificate.fromBER(ab(certDer));
  } catch (err) {
    throw new CaImportError(`the certificate is not a PEM X.509 certificate${err instanceof DerError ? `: ${err.message}` : ""}`);
  }
  let keyObject: crypto.KeyObject;
  try {
    keyObject = crypto.createPrivateKey(keyPem);
  } catch {
    throw new CaImportError("the private key is not a readable unencrypted PEM private key");
  }
  if (keyObject.asymmetricKeyType !== "rsa") throw new CaImportError("the CA key must be RSA: SCEP clients encrypt requests to it with RSA");
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
  const publicPem = crypto.createPublicKey(keyObject).export({ type: "spki", format: "pem" }).toString();
  const stored = await putServerKey(CA_KEY_NAME, { algorithm: `RSA-${bits}`, publicPem, privatePem, certPem: toPem(certDer, "CERTIFICATE") });
  cached = null;
  return (await bundleFrom(stored)).bundle;
}

/** Forget the parsed CA (tests that swap databases). */
export function clearCaCache(): void {
  cached = null;
}
