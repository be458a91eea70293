// PKIOperation: one SCEP request in, one CertRep out. Decides whether to issue
// (challenge or renewal), issues through lib/pki, and logs every outcome with its reason.
// Bad input from the client becomes a CertRep FAILURE when the message can be answered
// (we know its transactionID), or a typed 4xx error when it cannot be parsed at all.
import { db } from "../db/client";
import { badRequest, notFound } from "../errors";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import type { ReasonCode } from "../log/reasons";
import { getCa } from "../pki/ca";
import { getRa, raDecryptionKeys } from "../pki/ra";
import { caSubjectDer, currentCrl } from "../pki/crl";
import { childrenOf, DerReadError, expectTag, readTlv, TAG, whole } from "../pki/derReader";
import { CmsError, signerKeyType, unsupportedSignerAlgorithm, type Signer } from "../pki/cms";
import { getCertificate, issueCertificate, lookupIssuedCertificate, type CertificateRow } from "../pki/certificates";
import { inheritRevocation } from "../pki/revocation";
import { rsaKeyBits } from "../pki/keys";
import { nameParts } from "../pki/names";
import { peekChallengeContext, verifyChallenge } from "./challenge";
import { checkChallengeThrottle, recordWrongChallenge } from "./challengeThrottle";
import { pollCertificate } from "./certPoll";
import { CsrError, parseCsr } from "./csr";
import { CANNOT_DECRYPT, canEncryptTo, decryptEnvelope, EnvelopeError } from "./envelope";
import { buildCertRep, MessageType, parsePkiMessage, ScepMessageError, verifyPkiMessage, type FailInfoName, type PkiMessage } from "./message";
import { getScepProfileRow, type ScepProfile } from "./profiles";
import { expandSubject, type SubjectContext } from "./subject";
import { abandonTransaction, completeTransaction, retryOrStart } from "./transactions";
import { publicFailureText } from "./failureText";

export const STEP = "scep";

export interface ScepCallMeta {
  remoteAddr?: string | null;
}

export interface PkiOperationResult {
  /** DER CertRep (application/x-pki-message). */
  body: Uint8Array;
  status: "SUCCESS" | "FAILURE" | "PENDING";
  reason: ReasonCode | null;
  serial?: string;
}

/** CertReps are signed by the RA; its chain (CA and any issuers above) travels with them. */
async function raSigner(): Promise<Signer> {
  const ca = await getCa();
  const ra = await getRa();
  return { certDer: ra.certDer, chainDer: [ca.certDer, ...ca.chainDer], privateKey: ra.privateKey };
}

/** The issued certificate and, under an imported subordinate, the intermediates a device needs (not the root). */
async function issuedWithIntermediates(der: Uint8Array): Promise<Uint8Array[]> {
  const ca = await getCa();
  return ca.chainDer.length ? [der, ca.certDer, ...ca.chainDer.slice(0, -1)] : [der];
}

interface Failure {
  failInfo: FailInfoName;
  reason: ReasonCode;
  message: string;
  tokenId?: string | null;
}

class Refusal extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

const refuse = (failInfo: FailInfoName, reason: ReasonCode, message: string, tokenId?: string | null): never => {
  throw new Refusal({ failInfo, reason, message, tokenId });
};

async function userContext(userId: string | null | undefined): Promise<SubjectContext> {
  if (!userId) return {};
  const user = await db().user.findUnique({ where: { id: userId }, select: { identifier: true } });
  if (!user) return {};
  return { EMAIL: user.identifier.includes("@") ? user.identifier : undefined, USERNAME: user.identifier };
}

async function deviceContext(deviceId: string | null | undefined): Promise<SubjectContext> {
  if (!deviceId) return {};
  const d = await db().device.findUnique({ where: { id: deviceId }, select: { udid: true, serialNumber: true, deviceName: true } });
  if (!d) return {};
  return { UDID: d.udid ?? undefined, SERIALNUMBER: d.serialNumber ?? undefined, COMPUTERNAME: d.deviceName ?? undefined };
}

interface Authorization {
  kind: "challenge" | "renewal";
  tokenId: string | null;
  userId: string | null;
  deviceId: string | null;
  renewedFromSerial: string | null;
  challengeSource?: string;
  /** Device-bound OTA: the UDID the one-time challenge was issued for. */
  boundUdid?: string | null;
}

const DAY_MS = 86_400_000;

/**
 * Why a certificate we issued may not be renewed under this profile, or null. Renewal is
 * under the profile that issued it (a deleted profile's certificates cannot renew: another
 * profile would hand them its own validity), within that profile's renewal window before
 * expiry, and never from a revoked or expired certificate.
 */
export function renewalProblem(row: CertificateRow, profile: ScepProfile, now = new Date()): { reason: ReasonCode; detail: string } | null {
  const rejected = (detail: string) => ({ reason: "scep_renewal_rejected" as const, detail });
  if (row.revokedAt) return rejected(`the certificate ${row.serial} it was signed with is revoked`);
  if (row.notAfter.getTime() <= now.getTime()) return rejected(`the certificate ${row.serial} it was signed with has expired`);
  if (!row.profileId) return { reason: "scep_renewal_profile_deleted", detail: `the SCEP profile that issued certificate ${row.serial} was deleted; its certificates cannot renew` };
  if (row.profileId !== profile.id) return rejected(`the certificate ${row.serial} it was signed with belongs to another SCEP profile`);
  const opens = new Date(row.notAfter.getTime() - profile.renewalWindowDays * DAY_MS);
  if (now < opens) {
    return {
      reason: "scep_renewal_too_early",
      detail: `certificate ${row.serial} can be renewed from ${opens.toISOString()} (the SCEP profile's renewal window is ${profile.renewalWindowDays} days before it expires at ${row.notAfter.toISOString()})`,
    };
  }
  return null;
}

/** Renewal: the request is signed with a certificate we issued that renewalProblem accepts. */
async function renewalAuthorization(msg: PkiMessage, profile: ScepProfile, explicit: boolean): Promise<Authorization | null> {
  const row = await lookupIssuedCertificate(msg.signerCertDer);
  if (!row) {
    if (explicit) refuse("badRequest", "scep_renewal_rejected", "RenewalReq signed with a certificate this CA did not issue");
    return null;
  }
  const problem = renewalProblem(row, profile);
  if (problem) {
    // A PKCSReq signed with it may still carry a valid challenge (re-enrollment).
    if (explicit) refuse("badRequest", problem.reason, `renewal refused: ${problem.detail}`, row.enrollmentTokenId);
    return null;
  }
  return { kind: "renewal", tokenId: row.enrollmentTokenId, userId: row.userId, deviceId: row.deviceId, renewedFromSerial: row.serial };
}

interface Decision {
  der: Uint8Array;
  serial: string;
  cipherOid: string;
  auth: Authorization;
  subject: string;
  /** A resent request: the certificate issued for its transaction earlier. */
  resent?: boolean;
}

/** Thrown when an identical request is still being decided: the answer is CertRep PENDING. */
class Pending extends Error {}

/** Checks the request's algorithms, signature and message type and opens its envelope (what every decrypted operation needs). */
async function openRequest(msg: PkiMessage): Promise<{ content: Uint8Array; cipherOid: string }> {
  const unsupported = unsupportedSignerAlgorithm(msg.parsed);
  if (unsupported) refuse("badAlg", "scep_unsupported_algorithm", `the request is signed with an unsupported ${unsupported}`);
  try {
    verifyPkiMessage(msg);
  } catch (err) {
    refuse("badMessageCheck", "scep_bad_message", `the request's signature does not verify: ${err instanceof CmsError ? err.message : "invalid"}`);
  }
  if (msg.messageType !== MessageType.PKCSReq && msg.messageType !== MessageType.RenewalReq && msg.messageType !== MessageType.GetCRL) {
    refuse("badRequest", "scep_bad_message", `unsupported messageType ${msg.messageType} (only PKCSReq, RenewalReq and GetCRL)`);
  }
  if (!msg.envelope) refuse("badRequest", "scep_bad_message", "the request has no pkcsPKIEnvelope");
  // The CertRep is encrypted to the signer's certificate: refuse before issuing if we cannot.
  if (signerKeyType(msg.parsed) !== "rsa") refuse("badAlg", "scep_bad_message", "the request is signed with a non-RSA key; the response cannot be encrypted to it");
  try {
    // Only the RA keys: the CA's key never opens client bytes.
    return decryptEnvelope(
      msg.envelope!,
      (await raDecryptionKeys()).map((ra) => ({ cert: ra.cert, key: ra.keyObject })),
    );
  } catch (err) {
    if (err instanceof EnvelopeError) refuse(err.failInfo, err.failInfo === "badAlg" ? "scep_unsupported_algorithm" : "scep_bad_message", `the envelope cannot be opened: ${err.message}`);
    throw err;
  }
}

/**
 * GetCRL (RFC 8894 3.3.4): the envelope holds the IssuerAndSerialNumber of a certificate;
 * for one of this CA's, the answer is the current CRL (the same one /ca.crl serves).
 */
async function answerGetCrl(content: Uint8Array): Promise<Uint8Array> {
  let issuer: Uint8Array | null = null;
  try {
    const seq = readTlv(content, 0);
    if (seq.end !== content.length) throw new DerReadError("trailing bytes");
    const [name, serial] = childrenOf(content, expectTag(seq, TAG.SEQUENCE));
    expectTag(serial, TAG.INTEGER);
    issuer = whole(content, expectTag(name, TAG.SEQUENCE));
  } catch (err) {
    if (!(err instanceof DerReadError)) throw err;
    refuse("badRequest", "scep_bad_message", "GetCRL: the envelope does not hold an IssuerAndSerialNumber");
  }
  if (!Buffer.from(issuer!).equals(Buffer.from(caSubjectDer(await getCa())))) refuse("badCertId", "scep_bad_message", "GetCRL for a certificate another CA issued");
  return (await currentCrl()).der;
}

async function decide(msg: PkiMessage, profile: ScepProfile): Promise<Decision> {
  const decrypted = await openRequest(msg);
  let csr: ReturnType<typeof parseCsr>;
  try {
    csr = parseCsr(decrypted!.content);
  } catch (err) {
    if (err instanceof CsrError) {
      // Content that is not even DER is what a wrong content key produces: answer as for one.
      if (err.kind === "unreadable") refuse("badMessageCheck", "scep_bad_message", `the envelope cannot be opened: ${CANNOT_DECRYPT}`);
      if (err.kind === "bad_signature") refuse("badMessageCheck", "scep_csr_invalid", err.message);
      if (err.kind === "unsupported_algorithm") refuse("badAlg", "scep_unsupported_algorithm", err.message);
      refuse("badRequest", "scep_bad_message", `the envelope does not hold a valid PKCS#10 request: ${err.message}`);
    }
    throw err;
  }
  const bits = rsaKeyBits(csr!.publicKeyInfo);
  if (bits === null) refuse("badAlg", "scep_key_too_small", "the requested key is not RSA");
  if (bits! < profile.keySize) refuse("badRequest", "scep_key_too_small", `the requested key has ${bits} bits; the SCEP profile requires ${profile.keySize}`);

  const explicitRenewal = msg.messageType === MessageType.RenewalReq;
  const auth = await renewalAuthorization(msg, profile, explicitRenewal);
  const tx = await retryOrStart(msg, profile.id, csr!.publicKeyInfo, decrypted!.cipherOid, auth?.renewedFromSerial ?? null);
  if (tx.kind === "pending") throw new Pending();
  if (tx.kind === "conflict") return refuse("badRequest", "scep_transaction_reused", `transactionID "${msg.transactionId.slice(0, 100)}" was already used with another key or signer`, auth?.tokenId);
  if (tx.kind === "issued") return resentDecision(tx.serial, decrypted!.cipherOid);
  try {
    const decided = await decideNew(msg, profile, csr!, decrypted!.cipherOid, auth);
    await completeTransaction(tx.id, decided.serial);
    return decided;
  } catch (err) {
    await abandonTransaction(tx.id);
    throw err;
  }
}

/** The certificate issued earlier for a transaction, sent again (resent PKCSReq, CertPoll). */
async function resentDecision(serial: string, cipherOid: string): Promise<Decision> {
  const previous = await getCertificate(serial);
  if (!previous) return refuse("badRequest", "scep_transaction_reused", `the certificate ${serial} issued for this transactionID no longer exists`);
  if (previous.revokedAt) refuse("badRequest", "scep_transaction_reused", `the certificate ${serial} issued for this transactionID has been revoked`, previous.enrollmentTokenId);
  const auth: Authorization = {
    kind: previous.renewedFromSerial ? "renewal" : "challenge",
    tokenId: previous.enrollmentTokenId,
    userId: previous.userId,
    deviceId: previous.deviceId,
    renewedFromSerial: previous.renewedFromSerial,
  };
  return { der: new Uint8Array(previous.der), serial: previous.serial, cipherOid, auth, subject: previous.subject, resent: true };
}

async function answerPoll(msg: PkiMessage, profile: ScepProfile): Promise<Decision> {
  const outcome = await pollCertificate(msg, profile.id);
  if (outcome.status === "PENDING") throw new Pending();
  if (outcome.status === "FAILURE") return refuse(outcome.failInfo, outcome.reason, outcome.message);
  return resentDecision(outcome.serial, outcome.cipherOid);
}

/** A request seen for the first time: the challenge or renewal decides, then the CA issues. */
async function decideNew(msg: PkiMessage, profile: ScepProfile, csr: ReturnType<typeof parseCsr>, cipherOid: string, renewal: Authorization | null): Promise<Decision> {
  let auth = renewal;
  let context: SubjectContext;
  if (auth) {
    context = { ...(await deviceContext(auth.deviceId)), ...(await userContext(auth.userId)) };
  } else {
    const peek = await peekChallengeContext(profile, csr.challengePassword);
    // A renewal challenge (InstallProfile before expiry) names the certificate it replaces; its device fills $UDID & co.
    const renewing = peek.renewedFromSerial ? await getCertificate(peek.renewedFromSerial) : null;
    context = { ...(await deviceContext(renewing?.deviceId)), ...(await userContext(peek.userId)) };
  }
  // The subject is settled before a one-time challenge is spent. A renewal takes its values
  // from the certificate it renews, so a device cannot rename itself ($UDID) by renewing.
  const valuesFrom = auth ? nameParts(msg.signerCert.subject) : csr.subject;
  const expanded = expandSubject(profile.subjectTemplate, valuesFrom, context);
  if (!expanded.ok) refuse("badRequest", expanded.reason, expanded.detail, auth?.tokenId);
  if (!auth) {
    const verdict = await verifyChallenge(profile, csr.challengePassword);
    if (!verdict.ok) refuse("badRequest", verdict.reason, verdict.detail, verdict.tokenId);
    if (verdict.ok && verdict.renewedFromSerial) {
      const old = await getCertificate(verdict.renewedFromSerial);
      const oldDevice = old?.deviceId ? await db().device.findUnique({ where: { id: old.deviceId }, select: { status: true } }) : null;
      const why = !old
        ? "gone"
        : old.revokedAt
          ? "revoked"
          : old.profileId !== profile.id
            ? "not of this SCEP profile"
            : !oldDevice
              ? "bound to no device"
              : oldDevice.status === "UNENROLLED"
                ? "bound to an unenrolled device"
                : null;
      if (why) refuse("badRequest", "scep_renewal_rejected", `renewal challenge for certificate ${verdict.renewedFromSerial}, which is ${why}`, verdict.tokenId);
      // Issued for the device the old certificate is bound to: its messages signed with the new one are accepted (mdmRequest boundDevice).
      auth = {
        kind: "renewal",
        tokenId: old!.enrollmentTokenId ?? verdict.tokenId,
        userId: old!.userId ?? verdict.userId,
        deviceId: old!.deviceId,
        renewedFromSerial: old!.serial,
        challengeSource: verdict.source,
      };
    } else if (verdict.ok)
      auth = { kind: "challenge", tokenId: verdict.tokenId, userId: verdict.userId, deviceId: null, renewedFromSerial: null, challengeSource: verdict.source, boundUdid: verdict.boundUdid ?? null };
  }
  const subject = (expanded as { subject: string }).subject;
  const issued = await issueCertificate({
    publicKeyInfo: csr.publicKeyInfo,
    subject,
    validityDays: profile.validityDays,
    keyUsage: profile.keyUsage,
    profileId: profile.id,
    deviceId: auth!.deviceId,
    enrollmentTokenId: auth!.tokenId,
    userId: auth!.userId,
    renewedFromSerial: auth!.renewedFromSerial,
    boundUdid: auth!.boundUdid ?? null,
  });
  // Its predecessor may have been revoked while this was being issued: then so is this one.
  if (auth!.renewedFromSerial && (await inheritRevocation(issued.serial))) {
    refuse("badRequest", "scep_renewal_rejected", `renewal refused: the certificate ${auth!.renewedFromSerial} it renews was revoked`, auth!.tokenId);
  }
  return { der: issued.der, serial: issued.serial, cipherOid, auth: auth!, subject };
}

/** Handles a PKIOperation body for the SCEP profile. Throws AppError (4xx) only for unanswerable input. */
export async function pkiOperation(profileId: string, body: Uint8Array, meta: ScepCallMeta = {}): Promise<PkiOperationResult> {
  const remoteAddr = meta.remoteAddr ?? null;
  const profile = await getScepProfileRow(profileId);
  if (!profile) {
    await writeEnrollmentLog({ step: STEP, outcome: "ERROR", reason: "scep_profile_not_found", message: `PKIOperation for unknown SCEP profile "${profileId.slice(0, 100)}"`, remoteAddr });
    throw notFound("SCEP profile");
  }
  // Before any parsing or decryption: an address guessing challenges costs us nothing more.
  await checkChallengeThrottle(profile, remoteAddr);
  let msg: PkiMessage;
  try {
    msg = parsePkiMessage(body);
  } catch (err) {
    const detail = err instanceof ScepMessageError ? err.message : "unreadable";
    await writeEnrollmentLog({ step: STEP, outcome: "ERROR", reason: "scep_bad_message", message: `${profile.name}: PKIOperation body is not a SCEP message (${detail})`, remoteAddr });
    // The detail stays in the log: parser messages are no business of the client.
    throw badRequest("bad_scep_message", "not a SCEP PKIMessage (RFC 8894 3.2)");
  }
  const signer = await raSigner();
  try {
    // Every answer but FAILURE is encrypted to the requester's certificate: unreadable, refuse first.
    if (!canEncryptTo(msg.signerCertDer)) refuse("badMessageCheck", "scep_bad_message", "the requester's certificate cannot be read; the answer cannot be encrypted to it");
    if (msg.messageType === MessageType.GetCRL) {
      const opened = await openRequest(msg);
      const crlDer = await answerGetCrl(opened.content);
      const body = await buildCertRep({
        signer,
        transactionId: msg.transactionId,
        recipientNonce: msg.senderNonce,
        status: "SUCCESS",
        crlDer,
        requesterCert: msg.signerCertDer,
        cipherOid: opened.cipherOid,
      });
      await writeEnrollmentLog({ step: STEP, outcome: "OK", message: `${profile.name}: GetCRL answered with the current CRL`, remoteAddr });
      return { body, status: "SUCCESS", reason: null };
    }
    const ok = msg.messageType === MessageType.CertPoll ? await answerPoll(msg, profile) : await decide(msg, profile);
    const body = await buildCertRep({
      signer,
      transactionId: msg.transactionId,
      recipientNonce: msg.senderNonce,
      status: "SUCCESS",
      issuedCertsDer: await issuedWithIntermediates(ok.der),
      requesterCert: msg.signerCertDer,
      cipherOid: ok.cipherOid,
    });
    const how = ok.auth.kind === "renewal" ? `renewal of ${ok.auth.renewedFromSerial}` : `${ok.auth.challengeSource} challenge`;
    const what = ok.resent
      ? `sent certificate ${ok.serial} for "${ok.subject}" again (${msg.messageType === MessageType.CertPoll ? "CertPoll" : "resent request"}, transactionID "${msg.transactionId.slice(0, 100)}")`
      : `issued certificate ${ok.serial} for "${ok.subject}" (${how})`;
    const device = ok.auth.deviceId ? await db().device.findUnique({ where: { id: ok.auth.deviceId }, select: { identifier: true } }) : null;
    const user = ok.auth.userId ? await db().user.findUnique({ where: { id: ok.auth.userId }, select: { identifier: true } }) : null;
    await writeEnrollmentLog({
      step: STEP,
      outcome: "OK",
      message: `${profile.name}: ${what}`,
      tokenId: ok.auth.tokenId,
      deviceIdentifier: device?.identifier ?? null,
      userIdentifier: user?.identifier ?? null,
      remoteAddr,
    });
    if (!ok.resent && ok.auth.challengeSource === "RENEWAL") {
      await writeEnrollmentLog({
        step: "renewal",
        outcome: "OK",
        message: `Identity renewal: certificate ${ok.serial} issued to replace ${ok.auth.renewedFromSerial}`,
        tokenId: ok.auth.tokenId,
        deviceIdentifier: device?.identifier ?? null,
        remoteAddr,
      });
    }
    return { body, status: "SUCCESS", reason: null, serial: ok.serial };
  } catch (err) {
    if (err instanceof Pending) {
      await writeEnrollmentLog({
        step: STEP,
        outcome: "WARNING",
        message: `${profile.name}: transactionID "${msg.transactionId.slice(0, 100)}" is still being decided; answered PENDING (the client polls)`,
        remoteAddr,
      });
      const body = await buildCertRep({ signer, transactionId: msg.transactionId, recipientNonce: msg.senderNonce, status: "PENDING" });
      return { body, status: "PENDING", reason: null };
    }
    if (!(err instanceof Refusal)) throw err;
    const f = err.failure;
    if (f.reason === "scep_bad_challenge") await recordWrongChallenge(profile.id, remoteAddr);
    await writeEnrollmentLog({ step: STEP, outcome: "ERROR", reason: f.reason, message: `${profile.name}: certificate refused (${f.failInfo}): ${f.message}`, tokenId: f.tokenId ?? null, remoteAddr });
    const body = await buildCertRep({ signer, transactionId: msg.transactionId, recipientNonce: msg.senderNonce, status: "FAILURE", failInfo: f.failInfo, failInfoText: publicFailureText(f.reason) });
    return { body, status: "FAILURE", reason: f.reason };
  }
}
