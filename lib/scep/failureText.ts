// What a CertRep FAILURE tells the client in failInfoText (RFC 8894 3.2.1.4.5): the reason's
// public title, never the log message (which names serials, dates, parser and exception text).
import { REASONS, type ReasonCode } from "../log/reasons";

export function publicFailureText(reason: ReasonCode): string {
  return REASONS[reason]?.title ?? "Request refused";
}
