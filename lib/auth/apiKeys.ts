// API keys for automation: "oek_<prefix>_<secret>", shown once, stored as SHA-256.
// The prefix finds the row; the hash comparison is constant-time.
import crypto from "node:crypto";
import { db } from "../db/client";
import { sha256Hex } from "../secrets/hash";
import type { Role } from "./roles";

export interface ApiKeyIdentity {
  id: string;
  name: string;
  role: Role;
}

export async function createApiKey(name: string, role: Role = "ADMIN"): Promise<{ id: string; key: string }> {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 100) throw new Error("API key name must be 1 to 100 characters");
  const prefix = crypto.randomBytes(6).toString("hex");
  const secret = crypto.randomBytes(24).toString("base64url");
  const key = `oek_${prefix}_${secret}`;
  const row = await db().apiKey.create({ data: { name: trimmed, prefix, keyHash: sha256Hex(key), role } });
  return { id: row.id, key };
}

const LAST_USED_RESOLUTION_MS = 60_000;

export async function verifyApiKey(key: string): Promise<ApiKeyIdentity | null> {
  const m = /^oek_([0-9a-f]{12})_[A-Za-z0-9_-]{20,64}$/.exec(key);
  if (!m) return null;
  const row = await db().apiKey.findUnique({ where: { prefix: m[1] } });
  if (!row || row.revokedAt) return null;
  const a = Buffer.from(sha256Hex(key), "hex");
  const b = Buffer.from(row.keyHash, "hex");
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return null;
  // "Last used" to the minute: a script calling the API in a loop does not write on every call.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db().apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  return { id: row.id, name: row.name, role: row.role };
}

export async function listApiKeys() {
  return db().apiKey.findMany({ orderBy: { createdAt: "desc" }, select: { id: true, name: true, prefix: true, role: true, createdAt: true, lastUsedAt: true, revokedAt: true } });
}

export async function revokeApiKey(idOrName: string): Promise<number> {
  const r = await db().apiKey.updateMany({ where: { OR: [{ id: idOrName }, { name: idOrName }], revokedAt: null }, data: { revokedAt: new Date() } });
  return r.count;
}
