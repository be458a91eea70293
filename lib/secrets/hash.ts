// Hashing for secrets: slow scrypt for human passwords, SHA-256 for high-entropy tokens,
// constant-time comparison for both.
import crypto from "node:crypto";

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await new Promise<Buffer>((resolve, reject) => crypto.scrypt(password, salt, 32, SCRYPT, (err, k) => (err ? reject(err) : resolve(k))));
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parts = (stored ?? "").split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") {
    // Burn comparable time so unknown users are not distinguishable by timing.
    await hashPassword(password);
    return false;
  }
  const [, n, r, p, salt, expected] = parts;
  const want = Buffer.from(expected, "base64url");
  const got = await new Promise<Buffer>((resolve, reject) =>
    crypto.scrypt(password, Buffer.from(salt, "base64url"), want.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem }, (err, k) => (err ? reject(err) : resolve(k))),
  );
  return crypto.timingSafeEqual(got, want);
}

/** SHA-256 hex, for random tokens that need no slow hash. */
export function sha256Hex(value: string | Uint8Array): string {
  return crypto.createHash("sha256").update(value).digest("hex");
}

/** Constant-time string equality (compares hashes, so lengths leak nothing). */
export function safeEqual(a: string, b: string): boolean {
  return crypto.timingSafeEqual(crypto.createHash("sha256").update(a).digest(), crypto.createHash("sha256").update(b).digest());
}

/** A random URL-safe token with the given number of random bytes. */
export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString("base64url");
}
