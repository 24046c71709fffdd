import "server-only";
import { TrainQueues } from "@dpsynth/contracts";
import { type BlobStore, createBlobStore } from "@dpsynth/datasets";
import { createPrismaClient, type PrismaClient } from "@dpsynth/db";
import { Queue } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import { loadConfig, type TWebConfig } from "./config.ts";
import { trackReachability } from "./http/unavailable.ts";

/** The long-lived clients every request shares. */
export interface TServerContext {
  config: TWebConfig;
  prisma: PrismaClient;
  /** For commands; blocking reads (SSE) take a connection of their own (`webRedis` with longer timeouts). */
  redis: Redis;
  /** The train queues, one per device count (`queueFor`), opened on first use; the web only produces. */
  queues: TrainQueues<Queue>;
  blobs: BlobStore;
}

// Kept on globalThis: Next's dev server re-evaluates modules on every edit, and each evaluation would
// otherwise open another pool of PostgreSQL and Redis connections.
const holder = globalThis as typeof globalThis & { __dpsynthServerContext?: TServerContext };

/**
 * How the web talks to Redis: a request must get an answer, even 503, within seconds. No offline queue and no
 * resending after a reconnect, so a command issued while Redis is away fails instead of running minutes later
 * (a late `queue.add` would queue a job already refused); short connect and command timeouts; reconnects keep
 * trying in the background.
 */
export const WEB_REDIS_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  commandTimeout: 2_000,
  retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
};

let lastRedisComplaint = 0;

/** One line a minute while Redis is unreachable, instead of ioredis' unhandled-error line per reconnect. */
function complainAboutRedis(error: Error): void {
  if (Date.now() - lastRedisComplaint < 60_000) return;
  lastRedisComplaint = Date.now();
  console.error(`[web] Redis connection: ${error.name} ${(error as { code?: string }).code ?? ""}`.trim());
}

/** A Redis client of the web: fail-fast options, errors logged (rarely) rather than unhandled. */
export function webRedis(url: string, overrides: RedisOptions = {}): Redis {
  const redis = new Redis(url, { ...WEB_REDIS_OPTIONS, ...overrides });
  redis.on("error", complainAboutRedis);
  trackReachability(redis);
  return redis;
}

/**
 * Builds the clients from a config. Tests pass a `prisma` of their own (and a queue prefix in the config) so
 * that each test file owns its database schema and its queue keys.
 */
export function createServerContext(config: TWebConfig, { prisma }: { prisma?: PrismaClient } = {}): TServerContext {
  const redis = webRedis(config.redisUrl);
  // Every queue shares the web's one client: a queue only produces and reads, it never blocks a connection.
  const queues = new TrainQueues((name) => {
    const queue = new Queue(name, { connection: redis, prefix: config.queuePrefix });
    queue.on("error", complainAboutRedis);
    return queue;
  });
  return {
    config,
    prisma: prisma ?? createPrismaClient({ url: config.databaseUrl }),
    redis,
    queues,
    blobs: createBlobStore(config.blobStoreUrl),
  };
}

/** The process's context, built from the environment on first use (Next loads route modules lazily). */
export function serverContext(): TServerContext {
  holder.__dpsynthServerContext ??= createServerContext(loadConfig());
  return holder.__dpsynthServerContext;
}

/** Replaces the context: integration tests point the real handlers at their own schema, queue and blobs. */
export function provideServerContext(context: TServerContext): void {
  holder.__dpsynthServerContext = context;
}
