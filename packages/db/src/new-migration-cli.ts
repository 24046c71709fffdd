import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS_DIR, readMigrations } from "./migrations.ts";
import { SCHEMA_FILE, schemaDiffSql } from "./schema-diff.ts";

const label = (process.argv[2] ?? "").replace(/[^a-z0-9_]/gi, "_").toLowerCase();
if (!label) {
  console.error("usage: npm run db:migration:new -- <what_changed>");
  process.exit(1);
}
const sql = schemaDiffSql();
if (!sql.trim() || !/\S/.test(sql.replace(/--.*$/gm, ""))) {
  console.log("prisma/schema.prisma matches the latest migration: nothing to write.");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = join(MIGRATIONS_DIR, `${stamp}_${label}`);
mkdirSync(dir);
writeFileSync(join(dir, "migration.sql"), sql);
copyFileSync(SCHEMA_FILE, join(dir, "schema.prisma"));
console.log(`wrote ${dir} (${readMigrations().length} migrations)`);
