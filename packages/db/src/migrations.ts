import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";

/**
 * Applies `prisma/migrations/<name>/migration.sql` in name order, each once, recorded in
 * `_dpsynth_migrations`. We apply them ourselves because Prisma's offline (WASM) engine cannot run
 * `migrate deploy` against PostgreSQL (prisma/orm#27403) and its native engine is a download these
 * machines cannot make. Prisma still writes the SQL (`npm run db:migration:new`).
 */
export const MIGRATIONS_DIR = new URL("../../../prisma/migrations/", import.meta.url).pathname;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/** Applies pending migrations into `schema` (created if absent); returns the names applied. */
export async function migrate({ url, schema = "public" }: { url: string; schema?: string }): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const quoted = `"${schema.replaceAll('"', '""')}"`;
    await client.query("BEGIN");
    // One migrator at a time per database: start and test may race on the same server.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('dpsynth-migrate'))");
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(`SET LOCAL search_path TO ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS _dpsynth_migrations (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ name: string; checksum: string }>(
      "SELECT name, checksum FROM _dpsynth_migrations",
    );
    const applied = new Map(rows.map((row) => [row.name, row.checksum]));
    const done: string[] = [];
    for (const migration of readMigrations()) {
      const previous = applied.get(migration.name);
      if (previous === migration.checksum) continue;
      if (previous !== undefined) {
        throw new Error(`Migration ${migration.name} was edited after it was applied; add a new migration instead.`);
      }
      await client.query(migration.sql);
      await client.query("INSERT INTO _dpsynth_migrations (name, checksum) VALUES ($1, $2)", [
        migration.name,
        migration.checksum,
      ]);
      done.push(migration.name);
    }
    await client.query("COMMIT");
    return done;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
