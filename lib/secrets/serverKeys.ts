// Server key pairs (JWT signing, CA, profile signing...) created on first use and kept
// in the database with the private key sealed under MDM_SECRET. Creation races between
// instances are settled by the primary key: the loser re-reads the winner's key.
import { db, isUniqueViolation } from "../db/client";
import { seal, unseal } from "./sealed";
import { announceToPeers, onPeerAnnouncement } from "../cluster/peers";

export interface ServerKeyMaterial {
  name: string;
  algorithm: string;
  publicPem: string;
  privatePem: string;
  certPem: string | null;
}

export interface NewServerKey {
  algorithm: string;
  publicPem: string;
  privatePem: string;
  certPem?: string | null;
}

// Absent keys are cached too (null): the RA's ".previous" key is looked up on every SCEP
// request and usually does not exist. Creating or replacing a key clears its entry here and
// in the other workers.
const cache = new Map<string, ServerKeyMaterial | null>();
// Another worker of this cluster replaced a key: read it from the database next time.
onPeerAnnouncement("server-key", (name) => cache.delete(name));

function fromRow(row: { name: string; algorithm: string; publicPem: string; encryptedKey: string; certPem: string | null }): ServerKeyMaterial {
  return {
    name: row.name,
    algorithm: row.algorithm,
    publicPem: row.publicPem,
    privatePem: unseal(row.encryptedKey, `serverkey:${row.name}`),
    certPem: row.certPem,
  };
}

export async function loadServerKey(name: string): Promise<ServerKeyMaterial | null> {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const row = await db().serverKey.findUnique({ where: { name } });
  if (!row) {
    cache.set(name, null);
    return null;
  }
  const material = fromRow(row);
  cache.set(name, material);
  return material;
}

export async function getOrCreateServerKey(name: string, create: () => Promise<NewServerKey>): Promise<ServerKeyMaterial> {
  const existing = await loadServerKey(name);
  if (existing) return existing;
  const fresh = await create();
  try {
    await db().serverKey.create({
      data: {
        name,
        algorithm: fresh.algorithm,
        publicPem: fresh.publicPem,
        certPem: fresh.certPem ?? null,
        encryptedKey: seal(fresh.privatePem, `serverkey:${name}`),
      },
    });
    announceToPeers("server-key", name);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  cache.delete(name);
  const stored = await loadServerKey(name);
  if (!stored) throw new Error(`server key ${name} vanished after creation`);
  return stored;
}

/** Replaces a key (CA import, key rotation). */
export async function putServerKey(name: string, key: NewServerKey): Promise<ServerKeyMaterial> {
  const data = {
    algorithm: key.algorithm,
    publicPem: key.publicPem,
    certPem: key.certPem ?? null,
    encryptedKey: seal(key.privatePem, `serverkey:${name}`),
  };
  await db().serverKey.upsert({ where: { name }, create: { name, ...data }, update: data });
  cache.delete(name);
  announceToPeers("server-key", name);
  return (await loadServerKey(name))!;
}

/** Forget cached keys (tests, or after another instance rotated a key). */
export function clearServerKeyCache(): void {
  cache.clear();
}
