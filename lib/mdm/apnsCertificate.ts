// The APNs (MDM push) certificate upload: a PEM matched against the key of the request this
// server generated (pushCertificateRequest.ts), a PEM with its key, or a .p12 with its
// password. Checks the certificate and key belong together, are current, and name an MDM
// push topic (the certificate's UID), refuses a topic change that would strand enrolled
// devices unless confirmed, then stores them (key sealed) and makes that topic the one new
// enrollment profiles carry.
import crypto from "node:crypto";
import { db } from "../db/client";
import { badRequest, conflict } from "../errors";
import { config } from "../config";
import { enrollmentTopic, setMdmTopic, TOPIC_SETTING } from "../settings/mdmEndpoints";
import { loadApnsCredentials } from "../settings/apnsCredentials";
import { saveApnsCredentials } from "./push";
import { certificatesFromUpload, clearPushRequest, pendingPushKey, pendingPushRequest } from "./pushCertificateRequest";
import { Pkcs12Error, readPkcs12, type Pkcs12Contents } from "../pki/pkcs12";
import { readSetting } from "../settings/store";

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

function certificateInfo(cert: crypto.X509Certificate, topic: string): ApnsCertificateInfo {
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
  if (!topic?.startsWith("com.apple.mgmt.")) {
    throw badRequest("not_mdm_push_certificate", "This is not an MDM push certificate: its subject has no UID starting with com.apple.mgmt. Request one at identity.apple.com.");
  }
  return certificateInfo(cert, topic);
}

export interface ApnsUpload {
  /** PEM (the certificate from identity.apple.com; more blocks allowed) or DER. */
  cert?: Uint8Array | string;
  /** Its private key; omitted when the certificate answers this server's own request. */
  keyPem?: string;
  /** Or a .p12 holding both, with its password. */
  p12?: Uint8Array;
  password?: string;
  /** The admin confirmed that devices enrolled under another topic must enroll again. */
  confirmTopicChange?: boolean;
}

export interface ApnsUploadResult extends ApnsCertificateInfo {
  /** Enrolled devices registered under another topic: they can no longer be woken. */
  strandedDevices: number;
  previousTopic: string | null;
}

/** A .p12's contents, its problems as a 400 the admin can act on. */
export function readPkcs12Upload(p12: Uint8Array, password: string): Pkcs12Contents {
  try {
    return readPkcs12(p12, password);
  } catch (err) {
    if (err instanceof Pkcs12Error) throw badRequest("invalid_p12", err.message);
    throw err;
  }
}

/** The certificate and key an upload names: from the .p12, the PEMs, or the pending request's key. */
async function resolveUpload(u: ApnsUpload): Promise<{ certPem: string; keyPem: string; fromRequest: boolean }> {
  if (u.p12?.byteLength) {
    const contents = readPkcs12Upload(u.p12, u.password ?? "");
    if (!contents.keyPem) throw badRequest("invalid_apns_p12", "The .p12 holds no private key; export the push certificate together with its key.");
    const key = crypto.createPrivateKey(contents.keyPem);
    const certPem = contents.certPems.find((p) => new crypto.X509Certificate(p).checkPrivateKey(key));
    if (!certPem) throw badRequest("apns_key_mismatch", "The .p12 holds no certificate for its private key.");
    return { certPem, keyPem: contents.keyPem, fromRequest: false };
  }
  const certs = u.cert ? certificatesFromUpload(typeof u.cert === "string" ? Buffer.from(u.cert, "utf8") : u.cert) : [];
  if (!certs.length) throw badRequest("invalid_apns_certificate", "Provide the push certificate (.pem from identity.apple.com) or a .p12 with its password.");
  // A PEM with a chain: the push certificate is the one with an MDM topic.
  const certPem = certs.find((p) => topicOf(new crypto.X509Certificate(p))?.startsWith("com.apple.mgmt.")) ?? certs[0];
  if (u.keyPem) return { certPem, keyPem: u.keyPem, fromRequest: false };
  const pending = await pendingPushKey();
  if (!pending) throw badRequest("invalid_apns_key", "No private key: generate the certificate request here first (step 1), or upload the key that belongs to this certificate.");
  if (!new crypto.X509Certificate(certPem).checkPrivateKey(crypto.createPrivateKey(pending))) {
    throw badRequest(
      "apns_key_mismatch",
      "This certificate was not issued for this server's current request (its key differs). Upload the certificate Apple issued for the request generated here, or upload its own key or .p12.",
    );
  }
  return { certPem, keyPem: pending, fromRequest: true };
}

/** Enrolled devices whose profile carries another topic than `topic` (APNs will not deliver to them under it). */
async function devicesUnderOtherTopic(topic: string): Promise<{ count: number; previous: string | null }> {
  const previous = ((await readSetting(TOPIC_SETTING)) as string | undefined) ?? null;
  const withTopic = await db().device.count({ where: { status: { not: "UNENROLLED" }, topic: { not: null }, NOT: { topic } } });
  // Enrolled but no TokenUpdate yet: their profile carries the topic profiles carried then.
  const pending = previous && previous !== topic ? await db().device.count({ where: { status: { not: "UNENROLLED" }, topic: null } }) : 0;
  return { count: withTopic + pending, previous };
}

/**
 * Installs the push certificate. Renewal keeps the topic; a certificate of another topic
 * strands every device enrolled under the old one, so it is refused (409) unless the admin
 * confirmed that those devices must enroll again.
 */
export async function uploadApnsCertificate(u: ApnsUpload): Promise<ApnsUploadResult> {
  const { certPem, keyPem, fromRequest } = await resolveUpload(u);
  const info = checkApnsCertificate(certPem, keyPem);
  const { count, previous } = await devicesUnderOtherTopic(info.topic);
  if (count > 0 && !u.confirmTopicChange) {
    throw conflict(
      "apns_topic_change",
      `This certificate's topic (${info.topic}) differs from ${previous && previous !== info.topic ? `the current one (${previous})` : "the topic devices enrolled with"}: ${count} enrolled device${count === 1 ? "" : "s"} could no longer be woken and would have to enroll again. ` +
        "To keep them, renew the existing certificate at identity.apple.com (Renew, with the same Apple ID) instead of creating a new one. To replace it anyway, confirm that those devices must re-enroll.",
    );
  }
  await saveApnsCredentials({ kind: "certificate", certPem, keyPem });
  await setMdmTopic(info.topic);
  if (fromRequest) await clearPushRequest();
  return { ...info, strandedDevices: count, previousTopic: previous };
}
/** Warn this long before the push certificate expires (Apple renews it for a year). */
export const APNS_EXPIRY_WARNING_DAYS = 30;

export interface ApnsStatus {
  certificate: ApnsCertificateInfo | null;
  tokenAuth: boolean;
  /** The topic new enrollment profiles carry; null while enrollment is refused (no certificate). */
  topic: string | null;
  /** The lab setting ALLOW_ENROLL_WITHOUT_PUSH is on (inert while a certificate is installed). */
  labSetting: boolean;
  /** ALLOW_ENROLL_WITHOUT_PUSH and no certificate: profiles go out with a placeholder topic nobody can push to. */
  labWithoutPush: boolean;
  expired: boolean;
  /** Expires within APNS_EXPIRY_WARNING_DAYS. */
  expiresSoon: boolean;
  daysLeft: number | null;
  /** A generated request still waiting for Apple's certificate. */
  pendingRequestAt: Date | null;
}

/** What is configured now: the certificate (if any), its expiry, and the topic profiles carry. */
export async function apnsStatus(now = new Date()): Promise<ApnsStatus> {
  const [creds, topic, pending] = await Promise.all([loadApnsCredentials().catch(() => null), enrollmentTopic(), pendingPushRequest()]);
  let certificate: ApnsCertificateInfo | null = null;
  if (creds?.kind === "certificate") {
    try {
      const cert = new crypto.X509Certificate(creds.certPem);
      certificate = certificateInfo(cert, topicOf(cert) ?? topic ?? "");
    } catch {
      certificate = null;
    }
  }
  const daysLeft = certificate ? Math.floor((certificate.notAfter.getTime() - now.getTime()) / 86_400_000) : null;
  return {
    certificate,
    tokenAuth: creds?.kind === "token",
    topic,
    labSetting: config().allowEnrollWithoutPush,
    labWithoutPush: !certificate && config().allowEnrollWithoutPush,
    expired: certificate !== null && certificate.notAfter < now,
    expiresSoon: daysLeft !== null && daysLeft < APNS_EXPIRY_WARNING_DAYS,
    daysLeft,
    pendingRequestAt: pending?.createdAt ?? null,
  };
}
