// device-attest-01 (draft-ietf-acme-device-attest) with Apple's format: the challenge
// response {"attObj": base64url(CBOR {fmt: "apple", attStmt: {x5c: [leaf, intermediate]}})};
// the chain must end at the configured Apple Enterprise Attestation Root, the leaf's
// freshness code must be SHA-256 of the challenge token (as Apple and step-ca compute it),
// and the attested serial/UDID must be the identifier and the inventory entry's.
import crypto from "node:crypto";
import { decode } from "cbor2";
import { AttestationError, attestationRoots, verifyAppleAttestationChain, type AttestedDevice } from "../attestation/appleAttestation";
import type { ReasonCode } from "../log/reasons";
import { attestedIdentityProblem, type InventoryMatch } from "./policy";
import { problem } from "./problem";

/** The base64url attestation object is at most this long (Apple's is a few kilobytes). */
const MAX_ATTOBJ_CHARS = 64 * 1024;

const FAILURE_REASON: Record<AttestationError["failure"], ReasonCode> = {
  "attestation-malformed": "acme_attestation_malformed",
  "attestation-chain": "acme_attestation_chain",
  "attestation-nonce": "acme_attestation_nonce",
  "attestation-expired": "acme_attestation_expired",
};

/** What is recorded for an authorization and shown to admins. */
export interface AttestationRecord {
  serialNumber: string | null;
  udid: string | null;
  osVersion: string | null;
  sepOsVersion: string | null;
  verifiedAt: string;
}

const malformed = (detail: string) => problem("badAttestationStatement", detail, "acme_attestation_malformed");

/** The x5c chain (leaf first) from a device-attest-01 challenge payload. */
export function attestationChain(payload: unknown): Buffer[] {
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) throw malformed('the challenge response must be a JSON object with "attObj"');
  const attObj = (payload as Record<string, unknown>).attObj;
  if (typeof attObj !== "string" || !attObj.length || attObj.length > MAX_ATTOBJ_CHARS || !/^[A-Za-z0-9_-]+$/.test(attObj)) throw malformed('"attObj" must be a base64url string');
  let decoded: unknown;
  try {
    decoded = decode(Buffer.from(attObj, "base64url"), { maxDepth: 8, rejectDuplicateKeys: true });
  } catch {
    throw malformed('"attObj" is not CBOR');
  }
  if (!decoded || typeof decoded !== "object" || decoded instanceof Uint8Array || Array.isArray(decoded)) throw malformed("the attestation object is not a CBOR map");
  const o = decoded as Record<string, unknown>;
  if (o.fmt !== "apple") throw malformed(`attestation format ${JSON.stringify(String(o.fmt)).slice(0, 40)} is not supported (only "apple")`);
  const stmt = o.attStmt as Record<string, unknown> | undefined;
  const x5c = stmt && typeof stmt === "object" ? stmt.x5c : undefined;
  if (!Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => c instanceof Uint8Array)) throw malformed("attStmt.x5c must be a non-empty array of certificates");
  return x5c.map((c: Uint8Array) => Buffer.from(c));
}

/** Verifies the attestation for a challenge; throws AcmeProblem with the distinct reason of each refusal. */
export function verifyDeviceAttestation(payload: unknown, token: string, identifier: string, match: InventoryMatch, now = new Date()): { device: AttestedDevice; record: AttestationRecord } {
  const chain = attestationChain(payload);
  let device: AttestedDevice;
  try {
    device = verifyAppleAttestationChain(chain, { roots: attestationRoots(), expectedFreshness: crypto.createHash("sha256").update(token, "ascii").digest(), now });
  } catch (err) {
    if (err instanceof AttestationError) throw problem("badAttestationStatement", err.message, FAILURE_REASON[err.failure]);
    throw malformed("the attestation could not be read");
  }
  const mismatch = attestedIdentityProblem(identifier, match, device);
  if (mismatch) throw problem("badAttestationStatement", mismatch, "acme_identifier_mismatch", { identifier: { type: "permanent-identifier", value: identifier } });
  return {
    device,
    record: { serialNumber: device.serialNumber ?? null, udid: device.udid ?? null, osVersion: device.osVersion ?? null, sepOsVersion: device.sepOsVersion ?? null, verifiedAt: now.toISOString() },
  };
}
