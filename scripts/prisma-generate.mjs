// postinstall: derive the PostgreSQL schema from prisma/schema.prisma and generate
// both Prisma clients. The Prisma CLI insists on a native schema engine path even for
// `generate`, which never runs it; point it at a harmless file when none is set.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { postgresSchemaFrom } from "./schema-variants.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sqliteSchema = path.join(root, "prisma/schema.prisma");
const pgSchema = path.join(root, "prisma/postgres/schema.prisma");

fs.mkdirSync(path.dirname(pgSchema), { recursive: true });
fs.writeFileSync(pgSchema, postgresSchemaFrom(fs.readFileSync(sqliteSchema, "utf8")));

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !fs.existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = path.join(root, "package.json");
}
const cli = path.join(root, "node_modules/prisma/build/index.js");
for (const schema of [sqliteSchema, pgSchema]) {
  const r = spawnSync(process.execPath, [cli, "generate", "--schema", schema], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) {
    process.stderr.write(r.stdout);
    process.stderr.write(r.stderr);
    console.error(`prisma generate failed for ${path.relative(root, schema)}`);
    process.exit(1);
  }
}
console.log("Prisma clients generated (sqlite, postgres).");
