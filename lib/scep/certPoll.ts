// CertPoll (GetCertInitial, RFC 8894 3.3.3): a client that got PENDING, or lost its answer,
// asks for the certificate of its transaction. Answered from lib/scep/transactions.ts:
// issued → SUCCESS with that certificate, still being decided → PENDING, anything else
// (unknown transactionID, another signer) → FAILURE badCertId.
import type { ReasonCode } from "../log/reasons";
import { CmsError, unsupportedSignerAlgorithm } from "../pki/cms";
import { lookupIssuedCertificate } from "../pki/certificates";
import { verifyPkiMessage, type FailInfoName, type PkiMessage } from "./message";
import { pollTransaction } from "./transactions";

export type PollOutcome = { status: "SUCCESS"; serial: string; cipherOid: string } | { status: "PENDING" } | { status: "FAILURE"; failInfo: FailInfoName; reason: ReasonCode; message: string };

export async function pollCertificate(msg: PkiMessage, profileId: string): Promise<PollOutcome> {
  const unsupported = unsupportedSignerAlgorithm(msg.parsed);
  if (unsupported) return { status: "FAILURE", failInfo: "badAlg", reason: "scep_unsupported_algorithm", message: `CertPoll signed with an unsupported ${unsupported}` };
  try {
    verifyPkiMessage(msg);
  } catch (err) {
    return { status: "FAILURE", failInfo: "badMessageCheck", reason: "scep_bad_message", message: `the CertPoll's signature does not verify: ${err instanceof CmsError ? err.message : "invalid"}` };
  }
  // Signed with a certificate we issued for this profile: the poll of a renewal.
  const signedWith = await lookupIssuedCertificate(msg.signerCertDer);
  const renewing = signedWith && signedWith.profileId === profileId ? signedWith.serial : null;
  const found = await pollTransaction(msg, profileId, renewing);
  if (!found) {
    return {
      status: "FAILURE",
      failInfo: "badCertId",
      reason: "scep_unknown_transaction",
      message: `CertPoll for transactionID "${msg.transactionId.slice(0, 100)}", which this SCEP profile does not know for this signer`,
    };
  }
  if (found.state === "pending") return { status: "PENDING" };
  return { status: "SUCCESS", serial: found.serial, cipherOid: found.cipherOid };
}
