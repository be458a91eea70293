// Server keys whose certificate our CA issues (profile signer, SCEP RA): created on first
// use, re-issued when the CA changes (import) or the certificate nears its end. Private keys
// sealed at rest like the CA's (lib/secrets/serverKeys). The replaced key pair is kept under
// "<name>.previous" so messages already addressed to it (an RA rotated between a client's
// GetCACert and its PKIOperation) still open.
import crypto from "node:crypto";
import * as pkijs from "pkijs";
import { getOrCreateServerKey, loadServerKey, putServerKey, type NewServerKey, type ServerKeyMaterial } from "../secrets/serverKeys";
import { getCa, type CaBundle } from "./ca";
import { ab, fromPem, toPem } from "./der";
import { generateRsaKeyPair, importSigningKey, publicKeyInfoFromPem } from "./keys";
import { nameFromString } from "./names";
import { buildCertificate, certificateDer, isSignedBy, subjectKeyId } from "./x509";

export interface IssuedKeySpec {
  /** ServerKey row name. */
  name: string;
  subject: string;
  validDays: number;
  /** Re-issued this many days before notAfter. */
  renewBeforeDays: number;
  keyUsageBits: number[];
  extKeyUsage?: string[];
}

export interface IssuedKey {
  certDer: Uint8Array;
  cert: pkijs.Certificate;
  /** WebCrypto signing key (CMS, certificates). */
  privateKey: CryptoKey;
  /** node:crypto twin (RSA decryption for the RA). */
  keyObject: crypto.KeyObject;
}

async function issue(spec: IssuedKeySpec, ca: CaBundle): Promise<NewServerKey> {
  const keys = await generateRsaKeyPair(2048);
  const now = Date.now();
  const cert = await buildCertificate(
    {
      subject: nameFromString(spec.subject),
      issuer: ca.cert.subject,
      publicKeyInfo: publicKeyInfoFromPem(keys.publicPem),
      notBefore: new Date(now - 5 * 60_000),
      notAfter: new Date(Math.min(now + spec.validDays * 86_400_000, ca.cert.notAfter.value.getTime())),
      keyUsageBits: spec.keyUsageBits,
      extKeyUsage: spec.extKeyUsage,
      issuerKeyId: subjectKeyId(ca.cert),
    },
    ca.privateKey,
  );
  return { algorithm: "RSA-2048", publicPem: keys.publicPem, privatePem: keys.privatePem, certPem: toPem(certificateDer(cert), "CERTIFICATE") };
}

function parseCert(certPem: string): pkijs.Certificate {
  return pkijs.Certificate.fromBER(ab(fromPem(certPem, ["CERTIFICATE"])));
}

/** Issued by the current CA and not within the renewal window. */
async function stillGood(material: ServerKeyMaterial, spec: IssuedKeySpec, ca: CaBundle): Promise<boolean> {
  if (!material.certPem) return false;
  const cert = parseCert(material.certPem);
  if (cert.notAfter.value.getTime() - Date.now() < spec.renewBeforeDays * 86_400_000) return false;
  return cert.issuer.isEqual(ca.cert.subject) && (await isSignedBy(cert, ca.cert));
}

const cache = new Map<string, { certPem: string; caPem: string; key: IssuedKey }>();

async function toIssuedKey(material: ServerKeyMaterial): Promise<IssuedKey> {
  const certDer = fromPem(material.certPem!, ["CERTIFICATE"]);
  return {
    certDer,
    cert: pkijs.Certificate.fromBER(ab(certDer)),
    privateKey: await importSigningKey(material.privatePem),
    keyObject: crypto.createPrivateKey(material.privatePem),
  };
}

// One issuance at a time per key in this process: two requests finding the key due must not
// both rotate it (the first new certificate, already handed out, would be lost).
const inFlight = new Map<string, Promise<IssuedKey>>();

export async function getIssuedKey(spec: IssuedKeySpec): Promise<IssuedKey> {
  const pending = inFlight.get(spec.name);
  if (pending) return pending;
  const p = loadOrIssue(spec).finally(() => inFlight.delete(spec.name));
  inFlight.set(spec.name, p);
  return p;
}

async function loadOrIssue(spec: IssuedKeySpec): Promise<IssuedKey> {
  const ca = await getCa();
  const hit = cache.get(spec.name);
  if (hit && hit.caPem === ca.certPem && hit.key.cert.notAfter.value.getTime() - Date.now() >= spec.renewBeforeDays * 86_400_000) {
    const existing = await loadServerKey(spec.name);
    if (existing?.certPem === hit.certPem) return hit.key;
  }
  let material = await getOrCreateServerKey(spec.name, () => issue(spec, ca));
  if (!(await stillGood(material, spec, ca))) {
    await putServerKey(`${spec.name}.previous`, { algorithm: material.algorithm, publicPem: material.publicPem, privatePem: material.privatePem, certPem: material.certPem });
    material = await putServerKey(spec.name, await issue(spec, ca));
  }
  const key = await toIssuedKey(material);
  cache.set(spec.name, { certPem: material.certPem!, caPem: ca.certPem, key });
  return key;
}

const previousCache = new Map<string, { certPem: string; key: IssuedKey }>();

/** The key pair this one replaced, while its certificate is still valid; null otherwise. */
export async function getPreviousIssuedKey(name: string): Promise<IssuedKey | null> {
  const material = await loadServerKey(`${name}.previous`);
  if (!material?.certPem) return null;
  let hit = previousCache.get(name);
  if (hit?.certPem !== material.certPem) {
    hit = { certPem: material.certPem, key: await toIssuedKey(material) };
    previousCache.set(name, hit);
  }
  return hit.key.cert.notAfter.value.getTime() > Date.now() ? hit.key : null;
}
