// SCEP PKIMessage (RFC 8894 3): a CMS SignedData whose signed attributes carry the SCEP
// fields and whose content is the pkcsPKIEnvelope. Parsing for requests, building for
// CertRep. Pure protocol code: no database.
import crypto from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { ab, derTlv, oidDer } from "../pki/der";
import { contentOf, readTlv, TAG, type Tlv } from "../pki/derReader";
import { CmsError, parseSignedData, signData, verifyParsed, OID, type ParsedSignedData, type Signer } from "../pki/cms";
import { encryptEnvelope } from "./envelope";

export const SCEP_OID = {
  messageType: "2.16.840.1.113733.1.9.2",
  pkiStatus: "2.16.840.1.113733.1.9.3",
  failInfo: "2.16.840.1.113733.1.9.4",
  senderNonce: "2.16.840.1.113733.1.9.5",
  recipientNonce: "2.16.840.1.113733.1.9.6",
  transactionID: "2.16.840.1.113733.1.9.7",
  failInfoText: "1.3.6.1.5.5.7.24.1",
} as const;

export const MessageType = { CertRep: "3", RenewalReq: "17", PKCSReq: "19", CertPoll: "20", GetCert: "21", GetCRL: "22" } as const;
export const PkiStatus = { SUCCESS: "0", FAILURE: "2", PENDING: "3" } as const;
export const FailInfo = { badAlg: "0", badMessageCheck: "1", badRequest: "2", badTime: "3", badCertId: "4" } as const;
export type FailInfoName = keyof typeof FailInfo;

export class ScepMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScepMessageError";
  }
}

export interface PkiMessage {
  parsed: ParsedSignedData;
  messageType: string;
  transactionId: string;
  senderNonce: Uint8Array | null;
  readonly signerCert: pkijs.Certificate;
  signerCertDer: Uint8Array;
  /** The pkcsPKIEnvelope (DER), absent in some messages. */
  envelope: Uint8Array | null;
}

function attr(si: pkijs.SignerInfo, oid: string): asn1js.AsnType | null {
  return si.signedAttrs?.attributes.find((a) => a.type === oid)?.values[0] ?? null;
}

// String types whose ASCII content reads the same in every decoding asn1js applies.
const ASCII_STRING_TAGS = new Set([0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a]);

/** The attribute's element as received, when it is a primitive of one of the tags. */
function rawAttr(parsed: ParsedSignedData, oid: string, tags: Set<number>): Uint8Array | null | undefined {
  const v = parsed.signer.attributes.get(oid);
  if (!v) return null;
  let t: Tlv;
  try {
    t = readTlv(v, 0);
  } catch {
    return undefined;
  }
  return tags.has(t.tag) && t.end === v.length ? contentOf(v, t) : undefined;
}

function stringAttr(parsed: ParsedSignedData, oid: string): string | null {
  const raw = rawAttr(parsed, oid, ASCII_STRING_TAGS);
  if (raw === null) return null;
  if (raw?.every((b) => b < 0x80)) return Buffer.from(raw).toString("latin1");
  // Other string types or non-ASCII text: as asn1js decodes them.
  const v = attr(parsed.signerInfo, oid) as { valueBlock?: { value?: unknown } } | null;
  const value = v?.valueBlock?.value;
  return typeof value === "string" ? value : null;
}

const OCTET_STRING_TAG = new Set([TAG.OCTET_STRING as number]);
function bytesAttr(parsed: ParsedSignedData, oid: string): Uint8Array | null {
  const raw = rawAttr(parsed, oid, OCTET_STRING_TAG);
  if (raw !== undefined) return raw && new Uint8Array(raw);
  const v = attr(parsed.signerInfo, oid);
  return v instanceof asn1js.OctetString ? new Uint8Array(v.valueBlock.valueHexView) : null;
}

/** Parses the outer SignedData and the SCEP attributes; does not verify the signature. */
export function parsePkiMessage(der: Uint8Array): PkiMessage {
  let parsed: ParsedSignedData;
  try {
    parsed = parseSignedData(der);
  } catch (err) {
    throw new ScepMessageError(err instanceof CmsError ? err.message : "not a CMS SignedData");
  }
  const messageType = stringAttr(parsed, SCEP_OID.messageType);
  const transactionId = stringAttr(parsed, SCEP_OID.transactionID);
  if (!messageType || !/^\d{1,3}$/.test(messageType)) throw new ScepMessageError("the messageType attribute is missing or not a number");
  if (!transactionId || transactionId.length > 256) throw new ScepMessageError("the transactionID attribute is missing or too long");
  const senderNonce = bytesAttr(parsed, SCEP_OID.senderNonce);
  if (senderNonce && senderNonce.length > 64) throw new ScepMessageError("the senderNonce is too long");
  return {
    parsed,
    messageType,
    transactionId,
    senderNonce,
    // pkijs parse of the requester's certificate only when something reads it (renewal subject).
    get signerCert() {
      return parsed.signerCert;
    },
    signerCertDer: parsed.signerCertDer,
    envelope: parsed.eContent,
  };
}

/** Checks the requester's signature (with the certificate it sent; trust is decided by the caller). */
export function verifyPkiMessage(msg: PkiMessage): void {
  verifyParsed(msg.parsed);
}

/**
 * A "degenerate" certs-only SignedData (RFC 8894 3.4): how the issued certificate travels.
 * Assembled around the raw certificate DER (re-parsing it with pkijs costs more than the rest).
 */
export function certsOnly(certsDer: Uint8Array[]): Uint8Array {
  const signedData = derTlv(
    0x30,
    new Uint8Array([0x02, 0x01, 0x01]), // version 1
    derTlv(0x31), // digestAlgorithms: none
    derTlv(0x30, oidDer(OID.data)), // encapContentInfo without content
    derTlv(0xa0, ...certsDer), // [0] IMPLICIT certificates
    derTlv(0x31), // signerInfos: none
  );
  return derTlv(0x30, oidDer(OID.signedData), derTlv(0xa0, signedData));
}

/** A degenerate SignedData carrying a CRL in its crls field: the GetCRL answer (RFC 8894 3.3.2). */
export function crlsOnly(crlDer: Uint8Array): Uint8Array {
  const signedData = derTlv(
    0x30,
    new Uint8Array([0x02, 0x01, 0x01]),
    derTlv(0x31),
    derTlv(0x30, oidDer(OID.data)),
    derTlv(0xa1, crlDer), // [1] IMPLICIT crls
    derTlv(0x31),
  );
  return derTlv(0x30, oidDer(OID.signedData), derTlv(0xa0, signedData));
}

export interface CertRepInput {
  signer: Signer;
  transactionId: string;
  recipientNonce: Uint8Array | null;
  status: "SUCCESS" | "FAILURE" | "PENDING";
  failInfo?: FailInfoName;
  failInfoText?: string;
  /** SUCCESS: the issued certificate first (the leaf, RFC 8894 3.3.2.1), then any intermediates; encrypted to the requester. */
  issuedCertsDer?: Uint8Array[];
  /** SUCCESS for GetCRL: the CRL instead of a certificate. */
  crlDer?: Uint8Array;
  /** The requester's certificate (DER as received, or parsed). */
  requesterCert?: pkijs.Certificate | Uint8Array;
  cipherOid?: string;
}

export async function buildCertRep(input: CertRepInput): Promise<Uint8Array> {
  const attributes = [
    new pkijs.Attribute({ type: SCEP_OID.messageType, values: [new asn1js.PrintableString({ value: MessageType.CertRep })] }),
    new pkijs.Attribute({ type: SCEP_OID.transactionID, values: [new asn1js.PrintableString({ value: input.transactionId })] }),
    new pkijs.Attribute({ type: SCEP_OID.pkiStatus, values: [new asn1js.PrintableString({ value: PkiStatus[input.status] })] }),
    new pkijs.Attribute({ type: SCEP_OID.senderNonce, values: [new asn1js.OctetString({ valueHex: ab(new Uint8Array(crypto.randomBytes(16))) })] }),
  ];
  if (input.recipientNonce) {
    attributes.push(new pkijs.Attribute({ type: SCEP_OID.recipientNonce, values: [new asn1js.OctetString({ valueHex: ab(input.recipientNonce) })] }));
  }
  if (input.status === "FAILURE") {
    attributes.push(new pkijs.Attribute({ type: SCEP_OID.failInfo, values: [new asn1js.PrintableString({ value: FailInfo[input.failInfo ?? "badRequest"] })] }));
    if (input.failInfoText) {
      attributes.push(new pkijs.Attribute({ type: SCEP_OID.failInfoText, values: [new asn1js.Utf8String({ value: input.failInfoText.slice(0, 200) })] }));
    }
    // No pkcsPKIEnvelope on failure (RFC 8894 3.3.2): the content is empty data. Present
    // rather than absent, because OpenSSL-based clients (certmonger) refuse to verify a
    // SignedData without content.
    return signData(new Uint8Array(0), input.signer, { attributes });
  }
  // PENDING (RFC 8894 3.3.2): no failInfo and no envelope either; the client polls with CertPoll.
  if (input.status === "PENDING") return signData(new Uint8Array(0), input.signer, { attributes });
  if (!(input.issuedCertsDer?.length || input.crlDer) || !input.requesterCert) throw new Error("SUCCESS CertRep needs the issued certificate (or CRL) and the requester's certificate");
  const content = input.crlDer ? crlsOnly(input.crlDer) : certsOnly(input.issuedCertsDer!);
  const envelope = encryptEnvelope(content, input.requesterCert, input.cipherOid);
  return signData(envelope, input.signer, { attributes });
}

export function caCapabilities(): string {
  // AES/SHA-256 first-class; DES3 and SHA-1 still accepted from older clients.
  return ["POSTPKIOperation", "SHA-256", "SHA-512", "SHA-1", "AES", "DES3", "SCEPStandard", "Renewal"].join("\n");
}
