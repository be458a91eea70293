// Encryption at rest for private keys and stored secrets: AES-256-GCM under a key
// derived from MDM_SECRET. Format: "v1." + base64url(iv | tag | ciphertext).
import crypto from "node:crypto";
import { deriveKey } from "./masterKey";

const PREFIX = "v1.";

export class SealedDataError extends Error {
  constructor() {
    super("stored secret cannot be decrypted: MDM_SECRET differs from the one it was encrypted with");
    this.name = "SealedDataError";
  }
}

export function seal(plaintext: string | Uint8Array, context = "default"): string {
  const key = deriveKey(`seal:${context}`);
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
  const ct = Buffer.concat([cipher.update(typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64url");
}

export function unsealBytes(sealed: string, context = "default"): Buffer {
  if (!sealed.startsWith(PREFIX)) throw new SealedDataError();
  const raw = Buffer.from(sealed.slice(PREFIX.length), "base64url");
  if (raw.length < 28) throw new SealedDataError();
  const decipher = crypto.createDecipheriv("aes-256-gcm", deriveKey(`seal:${context}`), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  } catch {
    throw new SealedDataError();
  }
}

export function unseal(sealed: string, context = "default"): string {
  return unsealBytes(sealed, context).toString("utf8");
}
