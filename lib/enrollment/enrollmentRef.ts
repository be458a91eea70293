// The enrollment reference: which enrollment (OTA token or account-driven sign-in) a
// profile was built for, carried in the MDM payload's CheckInURL and ServerURL as ?e=<ref>.
// It links the device to its enrollment whatever the SCEP challenge type (a STATIC
// challenge tells nothing about the token). The reference is public (every copy of the
// profile holds it), so it is authenticated, not secret: an HMAC with a key derived from
// the master secret makes it tamper-proof, and it is checked in constant time.
//
// Format: "<kind>.<id>.<mac>", kind "t" (enrollment token id) or "a" (account-driven
// enrollment record id, see accountEnrollments.ts), mac = base64url HMAC-SHA256, 128 bits.
import crypto from "node:crypto";
import { deriveKey } from "../secrets/masterKey";
import { checkInUrl, serverUrl } from "../settings/mdmEndpoints";

export type EnrollmentRef = { kind: "token"; tokenId: string } | { kind: "account"; enrollmentId: string };

export const ENROLLMENT_REF_PARAM = "e";
const MAC_BYTES = 16;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_REF_CHARS = 200;

function mac(body: string): Buffer {
  return crypto.createHmac("sha256", deriveKey("enrollment-ref")).update(body).digest().subarray(0, MAC_BYTES);
}

function body(ref: EnrollmentRef): string {
  return ref.kind === "token" ? `t.${ref.tokenId}` : `a.${ref.enrollmentId}`;
}

export function signEnrollmentRef(ref: EnrollmentRef): string {
  const id = ref.kind === "token" ? ref.tokenId : ref.enrollmentId;
  if (!ID.test(id)) throw new Error("enrollment reference ids are URL-safe and at most 64 characters");
  const b = body(ref);
  return `${b}.${mac(b).toString("base64url")}`;
}

export type RefVerdict = { ok: true; ref: EnrollmentRef } | { ok: false; why: string };

/** Checks a reference from a URL; the caller treats a refused one as absent (and logs why). */
export function verifyEnrollmentRef(value: string): RefVerdict {
  if (value.length > MAX_REF_CHARS) return { ok: false, why: "longer than any reference this server issues" };
  const parts = value.split(".");
  if (parts.length !== 3 || !["t", "a"].includes(parts[0]) || !ID.test(parts[1]) || !/^[A-Za-z0-9_-]+$/.test(parts[2])) return { ok: false, why: "not in this server's format" };
  // Compared as text, so only the one canonical encoding of the MAC is accepted.
  const given = Buffer.from(parts[2], "utf8");
  const expected = Buffer.from(mac(`${parts[0]}.${parts[1]}`).toString("base64url"), "utf8");
  // Equal lengths first: timingSafeEqual throws otherwise, and the length is public anyway.
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return { ok: false, why: "its signature does not verify (altered, or issued by another server)" };
  return { ok: true, ref: parts[0] === "t" ? { kind: "token", tokenId: parts[1] } : { kind: "account", enrollmentId: parts[1] } };
}

function withRef(url: string, ref: EnrollmentRef): string {
  const u = new URL(url);
  u.searchParams.set(ENROLLMENT_REF_PARAM, signEnrollmentRef(ref));
  return u.toString();
}

/** The MDM payload's URLs for one enrollment. */
export function mdmUrlsFor(ref: EnrollmentRef): { checkInUrl: string; serverUrl: string } {
  return { checkInUrl: withRef(checkInUrl(), ref), serverUrl: withRef(serverUrl(), ref) };
}

/** The reference a request URL carries, if any (the raw value; verify before use). */
export function enrollmentRefOf(url: string): string | null {
  try {
    return new URL(url).searchParams.get(ENROLLMENT_REF_PARAM);
  } catch {
    return null;
  }
}
