// Environment configuration, validated once. Every problem is reported as one sentence
// naming the variable, so start-up can print it and exit.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  name: string;
}

export interface AppConfig {
  port: number;
  /** Server processes (WORKERS); null: one per core. */
  workers: number | null;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string;
  databaseKind: "sqlite" | "postgres";
  /** Set by MDM_SECRET; otherwise read from (or generated into) DATA_DIR/secret.key at start. */
  mdmSecret: string | null;
  adminEmail: string | null;
  adminPassword: string | null;
  adminOidc: OidcConfig | null;
  /** IdP that end users sign in with for account-driven enrollment (defaults to the admin IdP). */
  userOidc: OidcConfig | null;
  /** Allow the built-in local-user sign-in for account-driven enrollment. */
  localUserSignIn: boolean;
  apnsBaseUrl: string;
  /** Lab setting ALLOW_ENROLL_WITHOUT_PUSH=true: hand out profiles with a placeholder push topic. */
  allowEnrollWithoutPush: boolean;
  /** PUSH_RETRY_SCHEDULE: waits before re-pushing a device with live commands that has not answered (last one repeats); empty = off. */
  pushRetryScheduleMs: number[];
  /** PUSH_KEEPALIVE_INTERVAL: push every enrolled device not heard from for this long; null = off. */
  pushKeepAliveMs: number | null;
  clientCertHeader: string | null;
  /** TRUST_PROXY: which X-Forwarded-For hops to believe (lib/http/remote.ts). */
  trustProxy: TrustProxy;
  /** LOG_AGGREGATE_WINDOW: repeated enrollment-log failures within one such window are one line with a count. */
  logAggregateWindowMs: number;
  /** LOG_RETENTION: failure and warning lines older than this are pruned; null = kept for ever. */
  logRetentionMs: number | null;
  /** LOG_MAX_KEYS_PER_WINDOW: distinct failure lines per window; further ones are counted on one overflow line. */
  logMaxKeysPerWindow: number;
  /** LOG_MAX_KEYS_PER_ADDRESS: of those, how many one source address may own (one scanner cannot use up the window). */
  logMaxKeysPerAddress: number;
  /** ACME_HTTP01_PORT: the port http-01 validation connects to (80 per RFC 8555; labs and tests move it). */
  acmeHttp01Port: number;
  logLevel: "debug" | "info" | "warn" | "error";
}

/**
 * TRUST_PROXY: "false" (default) ignores forwarded headers; "true" or a number N trusts that
 * many proxies in front of the server; a comma-separated list of addresses and CIDR ranges
 * trusts the proxies at those addresses.
 */
export type TrustProxy = { kind: "none" } | { kind: "hops"; hops: number } | { kind: "addresses"; ranges: string[] };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | null {
  const v = env[name];
  return v === undefined || v.trim() === "" ? null : v.trim();
}

function parseUrl(name: string, value: string, protocols: string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a valid URL: "${value}".`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.map((p) => p.replace(":", "")).join(" or ")}, not "${url.protocol.replace(":", "")}".`);
  }
  return url;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "5m", "1h", "1d", "90s": a duration of at least a minute (pushes more often than that only annoy APNs). */
export function parseDuration(name: string, value: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(value.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
  if (!(ms >= 60_000)) throw new ConfigError(`${name} must be durations like 5m, 1h or 1d (at least 1m), not "${value}".`);
  return ms;
}

function durationList(env: Env, name: string, fallback: string): number[] {
  const raw = str(env, name) ?? fallback;
  if (raw === "off") return [];
  return raw.split(",").map((part) => parseDuration(name, part));
}

function wholeNumber(env: Env, name: string, fallback: string): number {
  const raw = str(env, name) ?? fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new ConfigError(`${name} must be a whole number from 1 to 100000, not "${raw}".`);
  return n;
}

function oidcFrom(env: Env, prefix: string, fallbackName: string): OidcConfig | null {
  const issuer = str(env, `${prefix}_ISSUER`);
  const clientId = str(env, `${prefix}_CLIENT_ID`);
  const clientSecret = str(env, `${prefix}_CLIENT_SECRET`);
  if (!issuer && !clientId && !clientSecret) return null;
  if (!issuer) throw new ConfigError(`${prefix}_ISSUER must be set when ${prefix}_CLIENT_ID is set.`);
  if (!clientId) throw new ConfigError(`${prefix}_CLIENT_ID must be set when ${prefix}_ISSUER is set.`);
  if (!clientSecret) throw new ConfigError(`${prefix}_CLIENT_SECRET must be set when ${prefix}_ISSUER is set.`);
  parseUrl(`${prefix}_ISSUER`, issuer, ["https:", "http:"]);
  return { issuer: issuer.replace(/\/$/, ""), clientId, clientSecret, name: str(env, `${prefix}_NAME`) ?? fallbackName };
}

export function loadConfig(env: Env = process.env): AppConfig {
  const portRaw = str(env, "PORT") ?? "3000";
  const port = Number(portRaw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`PORT must be a whole number from 1 to 65535, not "${portRaw}".`);
  }
  const workersRaw = str(env, "WORKERS");
  const workers = workersRaw === null ? null : Number(workersRaw);
  if (workers !== null && (!Number.isInteger(workers) || workers < 1 || workers > 256)) {
    throw new ConfigError(`WORKERS must be a whole number from 1 to 256, not "${workersRaw}".`);
  }
  const publicUrl = parseUrl("PUBLIC_URL", str(env, "PUBLIC_URL") ?? `http://localhost:${port}`, ["https:", "http:"])
    .toString()
    .replace(/\/$/, "");
  const dataDir = path.resolve(str(env, "DATA_DIR") ?? "data");

  const rawDb = str(env, "DATABASE_URL");
  let databaseUrl: string;
  let databaseKind: AppConfig["databaseKind"];
  if (!rawDb) {
    databaseUrl = `file:${path.join(dataDir, "enroll.db")}`;
    databaseKind = "sqlite";
  } else if (/^postgres(ql)?:\/\//.test(rawDb)) {
    parseUrl("DATABASE_URL", rawDb, ["postgres:", "postgresql:"]);
    databaseUrl = rawDb;
    databaseKind = "postgres";
  } else if (rawDb.startsWith("file:")) {
    databaseUrl = `file:${path.resolve(rawDb.slice("file:".length))}`;
    databaseKind = "sqlite";
  } else {
    throw new ConfigError(`DATABASE_URL must be a postgres:// URL or a file: path for SQLite, not "${rawDb.replace(/\/\/[^@]*@/, "//***@")}".`);
  }

  const mdmSecret = str(env, "MDM_SECRET");
  if (mdmSecret !== null && mdmSecret.length < 32) {
    throw new ConfigError("MDM_SECRET must be at least 32 characters long (use `openssl rand -base64 32`).");
  }

  const logLevel = (str(env, "LOG_LEVEL") ?? "info") as AppConfig["logLevel"];
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of debug, info, warn, error, not "${logLevel}".`);
  }
  const apnsBaseUrl = parseUrl("APNS_URL", str(env, "APNS_URL") ?? "https://api.push.apple.com", ["https:", "http:"])
    .toString()
    .replace(/\/$/, "");

  const adminOidc = oidcFrom(env, "OIDC", "Single sign-on");
  const logMaxKeysPerWindow = wholeNumber(env, "LOG_MAX_KEYS_PER_WINDOW", "500");
  const logMaxKeysPerAddress = wholeNumber(env, "LOG_MAX_KEYS_PER_ADDRESS", "25");
  return {
    port,
    workers,
    publicUrl,
    dataDir,
    databaseUrl,
    databaseKind,
    mdmSecret,
    adminEmail: str(env, "ADMIN_EMAIL"),
    adminPassword: str(env, "ADMIN_PASSWORD"),
    adminOidc,
    userOidc: oidcFrom(env, "USER_OIDC", "Organisation sign-in") ?? adminOidc,
    localUserSignIn: (str(env, "LOCAL_USER_SIGNIN") ?? "true") !== "false",
    apnsBaseUrl,
    allowEnrollWithoutPush: str(env, "ALLOW_ENROLL_WITHOUT_PUSH") === "true",
    pushRetryScheduleMs: durationList(env, "PUSH_RETRY_SCHEDULE", "5m,1h,1d"),
    pushKeepAliveMs: durationList(env, "PUSH_KEEPALIVE_INTERVAL", "1d")[0] ?? null,
    clientCertHeader: str(env, "CLIENT_CERT_HEADER")?.toLowerCase() ?? null,
    trustProxy: trustProxyFrom(str(env, "TRUST_PROXY")),
    logAggregateWindowMs: parseDuration("LOG_AGGREGATE_WINDOW", str(env, "LOG_AGGREGATE_WINDOW") ?? "10m"),
    logRetentionMs: durationList(env, "LOG_RETENTION", "90d")[0] ?? null,
    logMaxKeysPerWindow,
    logMaxKeysPerAddress,
    acmeHttp01Port: acmeHttp01Port(env),
    logLevel,
  };
}

function acmeHttp01Port(env: Env): number {
  const raw = str(env, "ACME_HTTP01_PORT");
  if (raw === null) return 80;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError("ACME_HTTP01_PORT must be a port number (1-65535)");
  return n;
}

function trustProxyFrom(raw: string | null): TrustProxy {
  if (!raw || raw === "false" || raw === "0") return { kind: "none" };
  if (raw === "true") return { kind: "hops", hops: 1 };
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 32) throw new ConfigError(`TRUST_PROXY must be true, false, a number of proxies from 1 to 32, or proxy addresses/CIDR ranges, not "${raw}".`);
    return { kind: "hops", hops };
  }
  const ranges = raw
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean);
  for (const r of ranges) {
    const [addr, bits, extra] = r.split("/");
    const family = net.isIP(addr);
    const max = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
      throw new ConfigError(`TRUST_PROXY must be true, false, a number of proxies, or proxy addresses/CIDR ranges such as 10.0.0.0/8,::1; "${r}" is none of these.`);
    }
  }
  return { kind: "addresses", ranges };
}

let cached: AppConfig | null = null;

/** The process-wide configuration (validated at start by scripts/start.ts). */
export function config(): AppConfig {
  if (!cached) cached = loadConfig();
  return cached;
}

/** Checks the data directory exists (creating it, 0700) and is writable; it holds keys and the database, so only we may read it. */
export function ensureDataDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.statSync(dir);
    if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) fs.chmodSync(dir, 0o700);
    fs.accessSync(dir, fs.constants.W_OK);
    const probe = path.join(dir, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, "");
    fs.unlinkSync(probe);
  } catch {
    throw new ConfigError(`DATA_DIR "${dir}" is not writable; create it or point DATA_DIR at a writable directory.`);
  }
}
