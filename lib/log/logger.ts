// Structured JSON-lines logger. Fields that look like secrets are redacted, so a
// careless call cannot leak a token, password or key into the logs.
type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /pass(word)?|secret|token|challenge|key|authorization|cookie|jwt/i;
/** Database ids and counts named after a secret (tokenId, challengeId, keyCount) are not secrets. */
const NOT_SECRET_FIELD = /(Id|Ids|Count)$/;

function threshold(): number {
  const l = (process.env.LOG_LEVEL ?? "info") as Level;
  return ORDER[l] ?? ORDER.info;
}

// Secrets inside text: a URL's token/code/password query value, an Authorization credential,
// a JWT, an API key's secret part. Field names alone miss "url" or a message quoting a request.
const SECRET_PARAM = /([?&;](?:[a-z_]*token|password|passwd|secret|code|code_verifier|challenge|key|assertion|jwt)=)[^&#\s"'<>]+/gi;
const AUTH_CREDENTIAL = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const API_KEY = /\b(oek_[0-9a-f]{12}_)[A-Za-z0-9_-]+/g;
/** A short enrollment link's id (/e/<id>) opens the enroll page like the JWT does. */
const SHORT_LINK = /(\/e\/)[0-9A-Za-z]{10,16}\b/g;

/** `text` with secret-looking values replaced; for log lines and stored log messages. */
export function redactSecrets(text: string): string {
  return text.replace(JWT, "[redacted-jwt]").replace(AUTH_CREDENTIAL, "$1 [redacted]").replace(SECRET_PARAM, "$1[redacted]").replace(API_KEY, "$1[redacted]").replace(SHORT_LINK, "$1[redacted]");
}

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) out[k] = { name: v.name, message: redactSecrets(v.message) };
    else if (SECRET_FIELD.test(k) && !NOT_SECRET_FIELD.test(k) && v !== undefined && v !== null && typeof v !== "boolean") out[k] = "[redacted]";
    else out[k] = typeof v === "string" ? redactSecrets(v) : v;
  }
  return out;
}

function write(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (ORDER[level] < threshold()) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg: redactSecrets(msg), ...redact(fields) });
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(`${line}\n`);
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write("debug", msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write("info", msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write("warn", msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write("error", msg, fields),
};

/** Shortens a bearer-like value for display: first 6 characters and an ellipsis. */
export function maskSecret(value: string | null | undefined): string {
  if (!value) return "";
  return value.length <= 8 ? "…" : `${value.slice(0, 6)}…`;
}
