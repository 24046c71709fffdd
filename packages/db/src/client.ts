import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client.ts";

export type { Prisma } from "./generated/client.ts";
export { PrismaClient };

/** A Prisma client over the pg driver adapter; `schema` selects a PostgreSQL schema (tests use one each). */
export function createPrismaClient({ url, schema }: { url: string; schema?: string }): PrismaClient {
  // search_path makes raw SQL see the same schema as the generated queries do.
  const adapter = schema
    ? new PrismaPg({ connectionString: url, options: `-c search_path="${schema}"` }, { schema })
    : new PrismaPg({ connectionString: url });
  return new PrismaClient({ adapter });
}
