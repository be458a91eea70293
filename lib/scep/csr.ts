// PKCS#10 certificate requests from SCEP clients: parse, check the self-signature, and
// read what we use (subject, public key, challengePassword).
import crypto from "node:crypto";
import type * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { DerError, parseDer } from "../pki/der";
import { nodePublicKey } from "../pki/keys";
import { nameParts, type NamePart } from "../pki/names";

export class CsrError extends Error {
  constructor(
    message: string,
    /** unreadable: not DER/PKCS#10 at all (what a wrong content key yields). */
    readonly kind: "malformed" | "bad_signature" | "unsupported_algorithm" | "unreadable",
  ) {
    super(message);
    this.name = "CsrError";
  }
}

const CHALLENGE_PASSWORD = "1.2.840.113549.1.9.7";

const SIG_HASH: Record<string, string> = {
  "1.2.840.113549.1.1.5": "sha1",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
};

export interface ParsedCsr {
  csr: pkijs.CertificationRequest;
  subject: NamePart[];
  publicKeyInfo: pkijs.PublicKeyInfo;
  challengePassword: string | null;
}

function directoryString(value: asn1js.AsnType | undefined): string | null {
  if (!value) return null;
  const v = (value as { valueBlock?: { value?: unknown } }).valueBlock?.value;
  if (typeof v === "string") return v;
  return null;
}

export function parseCsr(der: Uint8Array): ParsedCsr {
  let csr: pkijs.CertificationRequest;
  try {
    csr = new pkijs.CertificationRequest({ schema: parseDer(der, "PKCS#10 request") });
  } catch (err) {
    throw new CsrError(err instanceof DerError ? err.message : "the certificate request is not PKCS#10", "unreadable");
  }
  const hash = SIG_HASH[csr.signatureAlgorithm.algorithmId];
  if (!hash) throw new CsrError(`unsupported CSR signature algorithm ${csr.signatureAlgorithm.algorithmId}`, "unsupported_algorithm");
  let ok = false;
  try {
    ok = crypto.verify(hash, new Uint8Array(csr.tbsView), nodePublicKey(csr.subjectPublicKeyInfo), new Uint8Array(csr.signatureValue.valueBlock.valueHexView));
  } catch {
    ok = false;
  }
  if (!ok) throw new CsrError("the certificate request's signature does not verify with its own key", "bad_signature");
  const attr = csr.attributes?.find((a) => a.type === CHALLENGE_PASSWORD);
  return {
    csr,
    subject: nameParts(csr.subject),
    publicKeyInfo: csr.subjectPublicKeyInfo,
    challengePassword: directoryString(attr?.values[0]),
  };
}
