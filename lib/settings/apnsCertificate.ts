// The APNs (MDM push) certificate upload: checks the certificate and key belong together,
// are current, and name an MDM push topic (the certificate's UID), then stores them (key
// sealed) and makes that topic the one new enrollment profiles carry.
import crypto from "node:crypto";
import { badRequest } from "../errors";
import { currentMdmTopic, setMdmTopic } from "../mdm/endpoints";
import { loadApnsCredentials, saveApnsCredentials } from "../mdm/push";

export interface ApnsCertificateInfo {
  topic: string;
  subject: string;
  notAfter: Date;
  fingerprint: string;
}

/** The UID attribute of an X.509 subject as Node prints it ("UID=com.apple.mgmt...."). */
export function topicOf(cert: crypto.X509Certificate): string | null {
  for (const line of cert.subject.split("\n")) {
    const m = /^UID=(.+)$/.exec(line.trim());
    if (m) return m[1].trim();
  }
  return null;
}

function describe(cert: crypto.X509Certificate, topic: string): ApnsCertificateInfo {
  return { topic, subject: cert.subject.replace(/\n/g, ", "), notAfter: new Date(cert.validTo), fingerprint: cert.fingerprint256 };
}

export function checkApnsCertificate(certPem: string, keyPem: string, now = new Date()): ApnsCertificateInfo {
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(certPem);
  } catch {
    throw badRequest("invalid_apns_certificate", "The certificate is not a PEM X.509 certificate. Convert a .p12 with: openssl pkcs12 -in push.p12 -clcerts -nokeys -out push.pem");
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(keyPem);
  } catch {
    throw badRequest("invalid_apns_key", "The private key is not an unencrypted PEM key. Convert a .p12 with: openssl pkcs12 -in push.p12 -nocerts -nodes -out push.key");
  }
  if (!cert.checkPrivateKey(key)) throw badRequest("apns_key_mismatch", "The private key does not belong to the certificate.");
  if (new Date(cert.validTo) < now) throw badRequest("apns_certificate_expired", `The certificate expired on ${new Date(cert.validTo).toISOString().slice(0, 10)}; renew it at identity.apple.com.`);
  const topic = topicOf(cert);
  if (!topic || !topic.startsWith("com.apple.mgmt.")) {
    throw badRequest("not_mdm_push_certificate", "This is not an MDM push certificate: its subject has no UID starting with com.apple.mgmt. Request one at identity.apple.com.");
  }
  return describe(cert, topic);
}

export async function uploadApnsCertificate(certPem: string, keyPem: string): Promise<ApnsCertificateInfo> {
  const info = checkApnsCertificate(certPem, keyPem);
  await saveApnsCredentials({ kind: "certificate", certPem, keyPem });
  await setMdmTopic(info.topic);
  return info;
}

/** What is configured now: the certificate (if any) and the topic profiles carry. */
export async function apnsStatus(): Promise<{ certificate: ApnsCertificateInfo | null; tokenAuth: boolean; topic: string }> {
  const [creds, topic] = await Promise.all([loadApnsCredentials().catch(() => null), currentMdmTopic()]);
  if (creds?.kind === "certificate") {
    try {
      const cert = new crypto.X509Certificate(creds.certPem);
      return { certificate: describe(cert, topicOf(cert) ?? topic), tokenAuth: false, topic };
    } catch {
      return { certificate: null, tokenAuth: false, topic };
    }
  }
  return { certificate: null, tokenAuth: creds?.kind === "token", topic };
}
