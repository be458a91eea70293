// One data model, two providers: the PostgreSQL schema is the SQLite one with the
// provider and the client output swapped. Nothing else may differ.
export const POSTGRES_HEADER = "// GENERATED from prisma/schema.prisma by scripts/prisma-generate.mjs. Do not edit.\n";

export function postgresSchemaFrom(sqliteSchema) {
  const out = sqliteSchema.replace('provider = "sqlite"', 'provider = "postgresql"').replace('output       = "../lib/db/generated/sqlite"', 'output       = "../../lib/db/generated/postgres"');
  if (out === sqliteSchema || !out.includes("generated/postgres")) {
    throw new Error("prisma/schema.prisma: provider or generator output line not found");
  }
  return POSTGRES_HEADER + out;
}
