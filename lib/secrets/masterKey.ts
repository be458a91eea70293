// MDM_SECRET: the one secret every private key and stored secret is encrypted with.
// Taken from the environment, else from DATA_DIR/secret.key, else generated there (0600).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface MasterKeySource {
  secret: string;
  origin: "env" | "file" | "generated";
  file?: string;
}

export function resolveMasterSecret(envSecret: string | null, dataDir: string): MasterKeySource {
  if (envSecret) return { secret: envSecret, origin: "env" };
  const file = path.join(dataDir, "secret.key");
  if (fs.existsSync(file)) {
    const secret = fs.readFileSync(file, "utf8").trim();
    if (secret.length < 32) throw new Error(`${file} is damaged (shorter than 32 characters); restore it from backup or set MDM_SECRET.`);
    return { secret, origin: "file", file };
  }
  const secret = crypto.randomBytes(32).toString("base64url");
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
  return { secret, origin: "generated", file };
}

let current: string | null = null;

export function setMasterSecret(secret: string): void {
  current = secret;
}

/** The master secret; resolved on first use in processes that did not go through start-up. */
export function masterSecret(): string {
  if (current) return current;
  const envSecret = process.env.MDM_SECRET?.trim() || null;
  const dataDir = path.resolve(process.env.DATA_DIR?.trim() || "data");
  fs.mkdirSync(dataDir, { recursive: true });
  current = resolveMasterSecret(envSecret, dataDir).secret;
  return current;
}

// Derived keys depend only on the master secret and the purpose: derived once each, not on
// every seal, unseal and MAC. Copies are handed out so a caller cannot alter the cached key.
const derived = new Map<string, { secret: string; key: Buffer }>();

/** A purpose-bound key derived from the master secret (HKDF-SHA256). */
export function deriveKey(purpose: string, length = 32): Buffer {
  const secret = masterSecret();
  const id = `${length}:${purpose}`;
  let hit = derived.get(id);
  if (!hit || hit.secret !== secret) {
    hit = { secret, key: Buffer.from(crypto.hkdfSync("sha256", secret, "open-enroll/v1", purpose, length)) };
    if (derived.size >= 256) derived.clear(); // purposes are a handful of constants; never grows unbounded
    derived.set(id, hit);
  }
  return Buffer.from(hit.key);
}
