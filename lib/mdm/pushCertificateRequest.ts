// Getting an APNs MDM push certificate: the server generates the push key (sealed at rest,
// never shown) and a CSR; an MDM vendor signs the CSR; Apple's Push Certificates Portal
// (identity.apple.com) turns the signed request into the push certificate, which the admin
// uploads and which is matched against this key. When the admin holds an MDM vendor
// ("MDM CSR") certificate, the server signs the request itself in the portal's format:
// base64 of a plist with PushCertRequestCSR (base64 DER CSR), PushCertCertificateChain (PEM:
// vendor certificate, Apple's WWDR intermediate, Apple's root) and PushCertSignature (base64
// SHA256withRSA over the DER CSR with the vendor key). The vendor key is used once, not kept.
import crypto from "node:crypto";
import { badRequest } from "../errors";
import { fromPem, toPem } from "../pki/der";
import { buildCertificationRequest } from "../pki/certificationRequest";
import { generateRsaKeyPair } from "../pki/keys";
import { buildPlist } from "../plist/plist";
import { seal, unseal } from "../secrets/sealed";
import { getBranding } from "../settings/branding";
import { readSetting, writeSetting } from "../settings/store";

const REQUEST_KEY = "apns.request";
const SEAL_CONTEXT = "apns-request-key";

interface StoredRequest {
  keyEnc: string;
  csr: string; // base64 DER
  createdAt: string;
}

export interface PushRequest {
  csrDer: Uint8Array;
  csrPem: string;
  createdAt: Date;
}

function toRequest(s: StoredRequest): PushRequest {
  const csrDer = new Uint8Array(Buffer.from(s.csr, "base64"));
  return { csrDer, csrPem: toPem(csrDer, "CERTIFICATE REQUEST"), createdAt: new Date(s.createdAt) };
}

async function stored(): Promise<StoredRequest | null> {
  const s = (await readSetting(REQUEST_KEY)) as StoredRequest | undefined;
  return s && typeof s.keyEnc === "string" && typeof s.csr === "string" ? s : null;
}

/** A new push key and CSR, replacing any earlier request that was not completed. */
export async function createPushRequest(now = new Date()): Promise<PushRequest> {
  const { privatePem } = await generateRsaKeyPair(2048);
  const org = (await getBranding()).organizationName.replace(/[,+=<>#;"\\]/g, " ").trim();
  const csrDer = buildCertificationRequest(`CN=${org || "Open Enroll"} MDM push${org ? `, O=${org}` : ""}`, privatePem);
  const s: StoredRequest = { keyEnc: seal(privatePem, SEAL_CONTEXT), csr: Buffer.from(csrDer).toString("base64"), createdAt: now.toISOString() };
  await writeSetting(REQUEST_KEY, s);
  return toRequest(s);
}

/** The request waiting for Apple's certificate, if any. */
export async function pendingPushRequest(): Promise<PushRequest | null> {
  const s = await stored();
  return s ? toRequest(s) : null;
}

/** The pending request's private key (PEM), for matching the certificate Apple returns. */
export async function pendingPushKey(): Promise<string | null> {
  const s = await stored();
  return s ? (unseal(s.keyEnc, SEAL_CONTEXT) as string) : null;
}

/** Done: the certificate for this key was installed. */
export async function clearPushRequest(): Promise<void> {
  await writeSetting(REQUEST_KEY, null);
}

export interface VendorSignedRequest {
  /** What the admin uploads to identity.apple.com (base64 text). */
  request: string;
  vendorSubject: string;
  /** Problems Apple's portal is likely to refuse the request for. */
  warnings: string[];
}

/**
 * Signs a CSR with an MDM vendor certificate and key in the Push Certificates Portal format.
 * `certPems`: the vendor certificate and, ideally, Apple's WWDR intermediate and root (any order).
 */
export function vendorSignRequest(csrDer: Uint8Array, certPems: string[], vendorKeyPem: string, now = new Date()): VendorSignedRequest {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(vendorKeyPem);
  } catch {
    throw badRequest("invalid_vendor_key", "The vendor private key is not a readable unencrypted PEM key (or use the .p12 with its password).");
  }
  if (key.asymmetricKeyType !== "rsa") throw badRequest("invalid_vendor_key", "The MDM vendor key must be the RSA key of the MDM CSR certificate.");
  let certs: crypto.X509Certificate[];
  try {
    certs = certPems.map((p) => new crypto.X509Certificate(p));
  } catch {
    throw badRequest("invalid_vendor_certificate", "A vendor certificate is not a readable PEM or DER certificate.");
  }
  const leaf = certs.find((c) => c.checkPrivateKey(key));
  if (!leaf) throw badRequest("vendor_key_mismatch", "None of the certificates belongs to this private key: upload the MDM CSR certificate from developer.apple.com together with its key.");
  if (new Date(leaf.validTo) < now)
    throw badRequest("vendor_certificate_expired", `The MDM vendor certificate expired on ${new Date(leaf.validTo).toISOString().slice(0, 10)}; create a new one at developer.apple.com.`);
  // Leaf first, then each issuer as far as the given certificates go (Apple wants the full chain to the root).
  const chain = [leaf];
  const rest = certs.filter((c) => c !== leaf);
  for (let cur = leaf; ; ) {
    const issuer = rest.find((c) => !chain.includes(c) && cur.checkIssued(c) && cur.verify(c.publicKey));
    if (!issuer || issuer === cur) break;
    chain.push(issuer);
    cur = issuer;
  }
  const warnings: string[] = [];
  const top = chain[chain.length - 1];
  if (!(top.checkIssued(top) && top.verify(top.publicKey))) {
    warnings.push(
      "The chain does not reach a root certificate. Apple's portal wants the vendor certificate, Apple's WWDR intermediate and the Apple Inc. root (from apple.com/certificateauthority) in the chain: add them to the upload.",
    );
  }
  if (!/MDM/i.test(leaf.subject)) warnings.push(`The certificate "${leaf.subject.replace(/\n/g, ", ")}" does not look like an MDM CSR (vendor) certificate.`);
  const plist = buildPlist({
    PushCertRequestCSR: Buffer.from(csrDer).toString("base64"),
    PushCertCertificateChain: chain.map((c) => toPem(new Uint8Array(c.raw), "CERTIFICATE")).join(""),
    PushCertSignature: crypto.sign("sha256", csrDer, key).toString("base64"),
  });
  return { request: Buffer.from(plist, "utf8").toString("base64"), vendorSubject: leaf.subject.replace(/\n/g, ", "), warnings };
}

/** Certificates from PEM text (one or many blocks) or one DER file. */
export function certificatesFromUpload(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes).toString("latin1");
  if (text.includes("-----BEGIN CERTIFICATE-----")) {
    return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => toPem(fromPem(m[0], ["CERTIFICATE"]), "CERTIFICATE"));
  }
  try {
    return [toPem(new Uint8Array(new crypto.X509Certificate(Buffer.from(bytes)).raw), "CERTIFICATE")];
  } catch {
    return [];
  }
}
