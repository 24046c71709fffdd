import { randomBytes } from "node:crypto";
import pg from "pg";
import { createPrismaClient, type PrismaClient } from "./client.ts";
import { migrate } from "./migrations.ts";

export interface TestDatabase {
  prisma: PrismaClient;
  url: string;
  schema: string;
  drop(): Promise<void>;
}

/**
 * A migrated PostgreSQL schema of its own for one test file, on the server that `npm test` started
 * (DATABASE_URL), so suites run in parallel without seeing each other's rows.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: run the suites through `npm test`, which starts PostgreSQL.");
  const schema = `t_${randomBytes(6).toString("hex")}`;
  await migrate({ url, schema });
  const prisma = createPrismaClient({ url, schema });
  return {
    prisma,
    url,
    schema,
    async drop() {
      await prisma.$disconnect();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}
