// The key that signs enrollment JWTs: an ECDSA P-256 pair (ES256) created on first use
// and kept sealed in the database (lib/secrets/serverKeys.ts). ES256 rather than RS256
// because its 64-byte signature keeps enrollment URLs, and so their QR codes, small.
import crypto from "node:crypto";
import { importPKCS8, importSPKI } from "jose";
import { getOrCreateServerKey } from "../secrets/serverKeys";

export const JWT_KEY_NAME = "jwt";
export const JWT_ALG = "ES256";
/** Raw (r || s) signature length for ES256; anything else in a token is damage, not forgery. */
export const JWT_SIGNATURE_BYTES = 64;

export interface JwtKeys {
  alg: typeof JWT_ALG;
  /** Key id: a short hash of the public key, so a rotated key is recognisable in a token header. */
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

let cached: { publicPem: string; keys: JwtKeys } | null = null;

async function createKey() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    algorithm: JWT_ALG,
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

export async function getJwtKeys(): Promise<JwtKeys> {
  const material = await getOrCreateServerKey(JWT_KEY_NAME, createKey);
  if (cached && cached.publicPem === material.publicPem) return cached.keys;
  if (material.algorithm !== JWT_ALG) throw new Error(`server key "${JWT_KEY_NAME}" is ${material.algorithm}, expected ${JWT_ALG}`);
  const keys: JwtKeys = {
    alg: JWT_ALG,
    kid: crypto.createHash("sha256").update(material.publicPem).digest("base64url").slice(0, 16),
    privateKey: (await importPKCS8(material.privatePem, JWT_ALG)) as CryptoKey,
    publicKey: (await importSPKI(material.publicPem, JWT_ALG)) as CryptoKey,
  };
  cached = { publicPem: material.publicPem, keys };
  return keys;
}
