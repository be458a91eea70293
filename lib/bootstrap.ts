// Everything the server prepares before it accepts requests: database schema, the
// master-secret check, the first admin, and server keys (so the first device does not
// pay for key generation). Plain TypeScript, run by scripts/start.ts.
import { config, ensureDataDir, type AppConfig } from "./config";
import { createClient, setDb } from "./db/client";
import { migrate, migrationsDir } from "./db/migrate";
import { log } from "./log/logger";
import { resolveMasterSecret, setMasterSecret } from "./secrets/masterKey";
import { seal, unseal } from "./secrets/sealed";
import { bootstrapAdminFromEnv } from "./auth/admins";
import { ensureServerKeys } from "./serverKeysBootstrap";

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

function describeDbError(cfg: AppConfig, err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (cfg.databaseKind === "postgres") {
    const u = new URL(cfg.databaseUrl);
    const where = `${u.hostname}:${u.port || 5432}${u.pathname}`;
    if (e.code === "ECONNREFUSED" || e.code === "ENOTFOUND" || e.code === "ETIMEDOUT" || e.code === "EAI_AGAIN")
      return `Cannot connect to the PostgreSQL server in DATABASE_URL (${where}): ${e.code}. Check the host, port and that the server is running.`;
    if (e.code === "28P01" || e.code === "28000") return `PostgreSQL refused the credentials in DATABASE_URL (${where}).`;
    if (e.code === "3D000") return `The database named in DATABASE_URL (${where}) does not exist; create it first.`;
    return `Cannot use the PostgreSQL database in DATABASE_URL (${where}): ${e.message ?? String(err)}`;
  }
  return `Cannot open the SQLite database ${cfg.databaseUrl.replace(/^file:/, "")}: ${e.message ?? String(err)}`;
}

export async function prepareServer(): Promise<{ cfg: AppConfig; secretOrigin: string; secretFile?: string; applied: string[] }> {
  const cfg = config();
  if (cfg.databaseKind === "sqlite" || !cfg.mdmSecret) ensureDataDir(cfg.dataDir);

  const master = resolveMasterSecret(cfg.mdmSecret, cfg.dataDir);
  setMasterSecret(master.secret);
  process.env.MDM_SECRET = master.secret;

  let applied: string[];
  try {
    applied = await migrate(cfg.databaseUrl, migrationsDir(cfg.databaseKind));
  } catch (err) {
    if ((err as Error).message?.includes("differ from this version")) throw new StartupError(`Database schema conflict: ${(err as Error).message}.`);
    throw new StartupError(describeDbError(cfg, err));
  }
  const client = createClient(cfg.databaseUrl);
  setDb(cfg.databaseUrl, client);

  // A sealed canary tells a wrong MDM_SECRET apart from a fresh database.
  const canary = await client.setting.findUnique({ where: { key: "secret.canary" } });
  if (!canary) {
    await client.setting.create({ data: { key: "secret.canary", value: seal("open-enroll", "canary") } }).catch(() => undefined);
  } else {
    try {
      unseal(canary.value, "canary");
    } catch {
      throw new StartupError("MDM_SECRET does not match the secret this database was created with; set MDM_SECRET (or DATA_DIR/secret.key) to the original value.");
    }
  }

  const admin = await bootstrapAdminFromEnv(cfg.adminEmail, cfg.adminPassword);
  if (admin === "created") log.info("created admin from ADMIN_EMAIL", { email: cfg.adminEmail });
  await ensureServerKeys();
  await client.$disconnect();
  return { cfg, secretOrigin: master.origin, secretFile: master.file, applied };
}
