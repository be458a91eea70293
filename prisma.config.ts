// Used by the Prisma CLI only (generate, and migrate deploy where the native engine exists).
// The app applies migrations itself at start (lib/db/migrate.ts).
import path from "node:path";
import { defineConfig } from "prisma/config";

const url = process.env.DATABASE_URL ?? "";
const postgres = /^postgres(ql)?:\/\//.test(url);
const dir = postgres ? "prisma/postgres" : "prisma";

export default defineConfig({
  schema: path.join(dir, "schema.prisma"),
  migrations: { path: path.join(dir, "migrations") },
  datasource: { url: postgres ? url : `file:${path.resolve(process.env.DATA_DIR ?? "data", "enroll.db")}` },
});
