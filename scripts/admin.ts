// `npm run admin -- <command>`: operator tasks from the shell, against the same database
// and secrets as the server (same environment variables).
//   api-key create --name NAME [--role OWNER|ADMIN|READ_ONLY]   prints the key once
//   api-key list
//   api-key revoke ID_OR_NAME
//   admin create --email EMAIL [--role ROLE]                    password read from ADMIN_PASSWORD or prompted
//   admin list
//   admin set-role --email EMAIL --role OWNER|ADMIN|READ_ONLY       refuses to demote the last active Owner
//   admin disable --email EMAIL / admin enable --email EMAIL          disabled admins' sessions end at once
//   renew-identities                                               queue identity renewals now (the server does it hourly)
import readline from "node:readline/promises";
import { ConfigError } from "../lib/config";
import { prepareServer, StartupError } from "../lib/bootstrap";
import { createClient, setDb } from "../lib/db/client";
import { createApiKey, listApiKeys, revokeApiKey } from "../lib/auth/apiKeys";
import { createAdmin, listAdmins, setAdminDisabled, setAdminRole } from "../lib/auth/admins";
import { isRole, type Role } from "../lib/auth/roles";
import { AppError } from "../lib/errors";
import { queueIdentityRenewals } from "../lib/mdm/identityRenewal";
import { pushesSettled } from "../lib/mdm/push";

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i === -1) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith("--")) fail(`--${name} needs a value`);
  return v;
}

function role(args: string[], fallback: Role): Role {
  const r = (flag(args, "role") ?? fallback).toUpperCase().replace("-", "_");
  if (!isRole(r)) fail(`--role must be OWNER, ADMIN or READ_ONLY`);
  return r;
}

const USAGE = `usage: npm run admin -- <command>
  api-key create --name NAME [--role OWNER|ADMIN|READ_ONLY]
  api-key list
  api-key revoke ID_OR_NAME
  admin create --email EMAIL [--role OWNER|ADMIN|READ_ONLY]
  admin list
  admin set-role --email EMAIL --role OWNER|ADMIN|READ_ONLY
  admin disable --email EMAIL
  admin enable --email EMAIL
  renew-identities`;

async function main(): Promise<void> {
  const [area, command, ...rest] = process.argv.slice(2);
  if (!area || area === "help" || area === "--help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let prepared;
  try {
    prepared = await prepareServer();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupError) fail(err.message);
    throw err;
  }
  setDb(prepared.cfg.databaseUrl, createClient(prepared.cfg.databaseUrl));

  if (area === "api-key" && command === "create") {
    const name = flag(rest, "name") ?? fail("api-key create needs --name NAME");
    const { key } = await createApiKey(name, role(rest, "ADMIN"));
    process.stdout.write(`${key}\n`);
    process.stderr.write("Store this key now: it is shown only once. Send it as `Authorization: Bearer <key>`.\n");
  } else if (area === "api-key" && command === "list") {
    for (const k of await listApiKeys()) {
      process.stdout.write(`${k.id}\t${k.name}\t${k.role}\toek_${k.prefix}_…\t${k.revokedAt ? "revoked" : "active"}\tlast used ${k.lastUsedAt?.toISOString() ?? "never"}\n`);
    }
  } else if (area === "api-key" && command === "revoke") {
    const target = rest[0] ?? fail("api-key revoke needs an id or name");
    const n = await revokeApiKey(target);
    if (n === 0) fail(`no active API key with id or name "${target}"`);
    process.stdout.write(`revoked ${n} key(s)\n`);
  } else if (area === "admin" && command === "create") {
    const email = flag(rest, "email") ?? fail("admin create needs --email EMAIL");
    let password = process.env.ADMIN_PASSWORD;
    if (!password) {
      const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
      password = await rl.question("Password (at least 12 characters): ");
      rl.close();
    }
    const admin = await createAdmin({ email, password, role: role(rest, "ADMIN") });
    process.stdout.write(`created ${admin.role} ${admin.email}\n`);
  } else if (area === "admin" && command === "list") {
    for (const a of await listAdmins()) {
      process.stdout.write(
        `${a.email}\t${a.role}\t${a.localPassword ? "local password" : "IdP only"}\t${a.disabled ? "disabled" : "active"}\tlast sign-in ${a.lastLoginAt?.toISOString() ?? "never"}\n`,
      );
    }
  } else if (area === "admin" && command === "set-role") {
    const email = flag(rest, "email") ?? fail("admin set-role needs --email EMAIL");
    if (!flag(rest, "role")) fail("admin set-role needs --role OWNER|ADMIN|READ_ONLY");
    const admin = await setAdminRole(email, role(rest, "ADMIN"));
    process.stdout.write(`${admin.email} is now ${admin.role}\n`);
  } else if (area === "admin" && (command === "disable" || command === "enable")) {
    const email = flag(rest, "email") ?? fail(`admin ${command} needs --email EMAIL`);
    const admin = await setAdminDisabled(email, command === "disable");
    process.stdout.write(`${command}d ${admin.email}\n`);
  } else if (area === "renew-identities" && command === undefined) {
    const r = await queueIdentityRenewals();
    for (const q of r.queued) process.stdout.write(`queued\t${q.identifier}\tcertificate ${q.serial}\tcommand ${q.commandUuid}\n`);
    for (const s of r.skipped) process.stdout.write(`skipped\t${s.identifier}\tcertificate ${s.serial}\t${s.why}\n`);
    for (const f of r.failed) process.stdout.write(`failed\t${f.identifier}\tcertificate ${f.serial}\t${f.error}\n`);
    process.stderr.write(`${r.queued.length} renewal(s) queued, ${r.skipped.length} skipped, ${r.failed.length} failed\n`);
    // The pushes run in the background; let them finish before exiting.
    await pushesSettled();
    if (r.failed.length) fail(`${r.failed.length} renewal(s) could not be queued (see the enrollment log, step "renewal")`);
  } else {
    fail(USAGE);
  }
}

main()
  .then(() => process.exit(0))
  .catch((err) => fail(err instanceof AppError ? err.message : `admin command failed: ${(err as Error).message}`));
