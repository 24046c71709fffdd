import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client.ts";

export type { Prisma } from "./generated/client.ts";
export { PrismaClient };

/**
 * How long a query waits for a connection (a new one, or a free one from the pool) before it fails: a database
 * that is down or unreachable is then an error the caller can answer (the web's 503), not a request that hangs.
 */
const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * How long a query may wait for its answer before the driver gives up on it. The platform's queries take
 * milliseconds; after a PostgreSQL restart a request once stalled for minutes on a connection the pool still held,
 * so a connection that stops answering fails its query (and is dropped) instead, and TCP keep-alive finds dead
 * peers between queries.
 */
const QUERY_TIMEOUT_MS = 30_000;

/** A Prisma client over the pg driver adapter; `schema` selects a PostgreSQL schema (tests use one each). */
export function createPrismaClient({ url, schema }: { url: string; schema?: string }): PrismaClient {
  const pool = {
    connectionString: url,
    connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
  };
  // search_path makes raw SQL see the same schema as the generated queries do.
  const adapter = schema
    ? new PrismaPg({ ...pool, options: `-c search_path="${schema}"` }, { schema })
    : new PrismaPg(pool);
  return new PrismaClient({ adapter });
}
