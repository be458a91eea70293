// ACME problem documents (RFC 8555 §6.7, RFC 7807): the error type a client understands,
// plus the enrollment-log reason the admin reads. Thrown inside lib/acme, answered by server.ts.
import type { ReasonCode } from "../log/reasons";

export type AcmeErrorType =
  | "accountDoesNotExist"
  | "alreadyRevoked"
  | "badCSR"
  | "badNonce"
  | "badPublicKey"
  | "badRevocationReason"
  | "badSignatureAlgorithm"
  | "badAttestationStatement"
  | "connection"
  | "incorrectResponse"
  | "invalidContact"
  | "malformed"
  | "orderNotReady"
  | "rejectedIdentifier"
  | "serverInternal"
  | "unauthorized"
  | "unsupportedContact"
  | "unsupportedIdentifier";

const STATUS: Record<AcmeErrorType, number> = {
  accountDoesNotExist: 400,
  alreadyRevoked: 400,
  badCSR: 400,
  badNonce: 400,
  badPublicKey: 400,
  badRevocationReason: 400,
  badSignatureAlgorithm: 400,
  badAttestationStatement: 400,
  connection: 400,
  incorrectResponse: 400,
  invalidContact: 400,
  malformed: 400,
  orderNotReady: 403,
  rejectedIdentifier: 400,
  serverInternal: 500,
  unauthorized: 403,
  unsupportedContact: 400,
  unsupportedIdentifier: 400,
};

export interface ProblemDocument {
  type: string;
  detail: string;
  status?: number;
  identifier?: { type: string; value: string };
  subproblems?: ProblemDocument[];
  algorithms?: string[];
}

export class AcmeProblem extends Error {
  readonly status: number;
  constructor(
    readonly type: AcmeErrorType,
    readonly detail: string,
    /** The enrollment-log reason; null for refusals not worth a log line (unknown URLs). */
    readonly reason: ReasonCode | null,
    readonly extra: { status?: number; identifier?: { type: string; value: string }; algorithms?: string[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = "AcmeProblem";
    this.status = extra.status ?? STATUS[type];
  }

  document(): ProblemDocument {
    return {
      type: `urn:ietf:params:acme:error:${this.type}`,
      detail: this.detail,
      status: this.status,
      ...(this.extra.identifier ? { identifier: this.extra.identifier } : {}),
      ...(this.extra.algorithms ? { algorithms: this.extra.algorithms } : {}),
    };
  }
}

export const problem = (type: AcmeErrorType, detail: string, reason: ReasonCode | null = "acme_malformed", extra: AcmeProblem["extra"] = {}) => new AcmeProblem(type, detail, reason, extra);
