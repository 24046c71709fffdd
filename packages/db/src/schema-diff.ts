import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS_DIR, readMigrations } from "./migrations.ts";

export const SCHEMA_FILE = new URL("../../../prisma/schema.prisma", import.meta.url).pathname;
const ROOT = new URL("../../../", import.meta.url).pathname;

/**
 * SQL that takes the schema of the latest migration to the current `prisma/schema.prisma`; empty when
 * they agree. Each migration keeps a snapshot of the schema it was written from, so the diff needs no
 * shadow database.
 */
export function schemaDiffSql(): string {
  const latest = readMigrations().at(-1);
  const from = latest ? join(MIGRATIONS_DIR, latest.name, "schema.prisma") : undefined;
  const args = ["prisma", "migrate", "diff", "--script", "--to-schema-datamodel", SCHEMA_FILE];
  args.push(...(from && existsSync(from) ? ["--from-schema-datamodel", from] : ["--from-empty"]));
  return execFileSync("npx", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
