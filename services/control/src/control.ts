import { TrainQueues } from "@dpsynth/contracts";
import { createPrismaClient, type PrismaClient } from "@dpsynth/db";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { Cancellation } from "./cancellation.ts";
import { databaseTarget, redisConnectionOptions, type TControlConfig } from "./config.ts";
import { EventConsumer } from "./event-consumer.ts";
import { createLogger, errorFields, type TLogger } from "./log.ts";
import { QueueWatchers } from "./queue-events.ts";
import { Recovery } from "./recovery.ts";

export interface TControl {
  consumer: EventConsumer;
  cancellation: Cancellation;
  recovery: Recovery;
  /** Whether PostgreSQL and Redis answer. */
  health(): Promise<{ ok: boolean; database: boolean; redis: boolean }>;
  /** Stops reading and sweeping, lets the current round finish, closes every connection it opened. */
  stop(): Promise<void>;
}

/**
 * Starts the control plane: the event consumer, the queue-event listeners (one per train queue in use), and the
 * cancellation and recovery sweeps (recovery runs once before anything else, to catch up on what happened while
 * control was down). `prisma` may be passed in (tests give their own schema's client); otherwise one is opened.
 */
export async function startControl(
  config: TControlConfig,
  options: { prisma?: PrismaClient; log?: TLogger } = {},
): Promise<TControl> {
  const log = options.log ?? createLogger("control");
  const prisma = options.prisma ?? createPrismaClient(databaseTarget(config.DATABASE_URL));
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const blockingRedis = redis.duplicate();
  const connection = redisConnectionOptions(config.REDIS_URL);
  // While Redis is away every reconnect fails; one line a minute says so instead of ioredis' line per attempt.
  let lastComplaint = 0;
  const complain = (error: Error) => {
    if (Date.now() - lastComplaint < 60_000) return;
    lastComplaint = Date.now();
    log.warn("Redis is unreachable; retrying", errorFields(error));
  };
  for (const client of [redis, blockingRedis]) client.on("error", complain);
  // One queue per device count (`queueFor`), opened when a job of that count is first looked at.
  const queues = new TrainQueues((name) => {
    const queue = new Queue(name, { connection, prefix: config.DPSYNTH_QUEUE_PREFIX });
    queue.on("error", complain);
    return queue;
  });

  const consumer = new EventConsumer({ prisma, redis, blockingRedis, blockMs: config.CONTROL_EVENT_BLOCK_MS, log });
  const drain = (jobId: string) => consumer.drain(jobId);
  const cancellation = new Cancellation({ prisma, redis, queues, drain, log });
  const recovery = new Recovery({ prisma, queues, drain, log });
  const watchers = new QueueWatchers(
    { prisma, queues, consumer, cancellation, log },
    { connection, prefix: config.DPSYNTH_QUEUE_PREFIX },
  );
  await watchers.sync();
  await recovery.sweep();

  let stopped = false;
  let wakeSweeper: () => void = () => {};
  const consuming = consumer.run();
  const sweeping = (async () => {
    while (!stopped) {
      try {
        await watchers.sync();
        await cancellation.sweep();
        await recovery.sweep();
      } catch (error) {
        log.error("sweep failed; will retry", errorFields(error));
      }
      await new Promise<void>((resolve) => {
        wakeSweeper = resolve;
        setTimeout(resolve, config.CONTROL_SWEEP_INTERVAL_MS);
      });
    }
  })();
  log.info("control plane started", {
    queues: watchers.devices().map((devices) => queues.for(devices).name),
    prefix: config.DPSYNTH_QUEUE_PREFIX,
  });

  return {
    consumer,
    cancellation,
    recovery,
    async health() {
      const database = await prisma.$queryRaw`SELECT 1`.then(
        () => true,
        () => false,
      );
      const redisOk = await redis.ping().then(
        (reply) => reply === "PONG",
        () => false,
      );
      return { ok: database && redisOk, database, redis: redisOk };
    },
    async stop() {
      stopped = true;
      consumer.stop();
      wakeSweeper();
      await Promise.all([consuming, sweeping]);
      await watchers.close();
      await queues.close();
      blockingRedis.disconnect();
      await redis.quit();
      if (!options.prisma) await prisma.$disconnect();
      log.info("control plane stopped");
    },
  };
}
