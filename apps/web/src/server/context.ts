import "server-only";
import { QUEUE } from "@dpsynth/contracts";
import { type BlobStore, createBlobStore } from "@dpsynth/datasets";
import { createPrismaClient, type PrismaClient } from "@dpsynth/db";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { loadConfig, type TWebConfig } from "./config.ts";

/** The long-lived clients every request shares. */
export interface TServerContext {
  config: TWebConfig;
  prisma: PrismaClient;
  /** For commands; blocking reads (SSE) take a `redis.duplicate()` of their own. */
  redis: Redis;
  /** The train queue; the web only produces. */
  queue: Queue;
  blobs: BlobStore;
}

// Kept on globalThis: Next's dev server re-evaluates modules on every edit, and each evaluation would
// otherwise open another pool of PostgreSQL and Redis connections.
const holder = globalThis as typeof globalThis & { __dpsynthServerContext?: TServerContext };

/**
 * Builds the clients from a config. Tests pass a `prisma` of their own (and a queue prefix in the config) so
 * that each test file owns its database schema and its queue keys.
 */
export function createServerContext(config: TWebConfig, { prisma }: { prisma?: PrismaClient } = {}): TServerContext {
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  return {
    config,
    prisma: prisma ?? createPrismaClient({ url: config.databaseUrl }),
    redis,
    queue: new Queue(QUEUE.train, { connection: redis, prefix: config.queuePrefix }),
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
