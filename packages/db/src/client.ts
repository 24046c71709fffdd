import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client.ts";

export type { Prisma } from "./generated/client.ts";
export { PrismaClient };

/** A Prisma client over the pg driver adapter; `schema` selects a PostgreSQL schema (tests use one each). */
export function createPrismaClient({ url, schema }: { url: string; schema?: string }): PrismaClient {
  const adapter = new PrismaPg({ connectionString: url }, schema ? { schema } : undefined);
  return new PrismaClient({ adapter });
}
