import { JOB_KEY_TTL_S, jobRedisKeys, type TrainQueues } from "@dpsynth/contracts";
import { IN_FLIGHT_JOB_STATUSES, type PrismaClient } from "@dpsynth/db";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { lostOutcome } from "./failures.ts";
import { errorFields, type TLogger } from "./log.ts";
import { closeJob } from "./settlement.ts";

/** Tells the job's trainer to stop before its next logical step. */
export async function raiseCancelFlag(redis: Redis, jobId: string): Promise<void> {
  await redis.set(jobRedisKeys(jobId).cancel, "1", "EX", JOB_KEY_TTL_S.cancelFlag);
}
/** Queue states a job can be taken out of before a trainer holds it. */
const REMOVABLE = new Set(["waiting", "delayed", "prioritized", "paused", "waiting-children"]);

/**
 * Turns a cancel request (Job.cancelRequestedAt, written by the web) into an ended job:
 * - still queued: take it off the queue and end it CANCELLED with nothing charged, all released;
 * - running: raise the Redis flag `dpsynth:cancel:<jobId>` that the trainer checks between logical steps;
 *   the trainer stops, reports the privacy spent so far and an `error` event with code `cancelled`, which the
 *   event store turns into CANCELLED with those steps charged and the rest released.
 * The web may raise the flag and remove the queued job itself for speed; doing it again here is harmless and
 * covers a web process that died between writing the request and acting on it. A job is looked for on its device
 * count's queue (`TrainQueues.forSpec`), where the web put it.
 */
export class Cancellation {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      redis: Redis;
      queues: TrainQueues<Queue>;
      drain: (jobId: string) => Promise<void>;
      log: TLogger;
    },
  ) {}

  /** One pass over every open job with a cancel request. */
  async sweep(): Promise<void> {
    const requested = await this.deps.prisma.job.findMany({
      where: { status: { in: [...IN_FLIGHT_JOB_STATUSES] }, cancelRequestedAt: { not: null } },
      select: { id: true, spec: true },
    });
    for (const { id, spec } of requested) {
      try {
        await this.cancel(id, this.deps.queues.forSpec(spec));
      } catch (error) {
        this.deps.log.error("could not act on a cancel request; will retry", { jobId: id, ...errorFields(error) });
      }
    }
  }

  /**
   * Ends an open job whose entry on `queue` (its own) no longer exists: CANCELLED when asked for, FAILED (lost)
   * otherwise.
   */
  async settleIfGone(jobId: string, queue: Queue): Promise<boolean> {
    if ((await queue.getJobState(jobId)) !== "unknown") return false;
    const ended = await closeJob(this.deps, jobId, lostOutcome);
    if (ended) this.deps.log.info("job left the queue before it ran and was settled", { jobId });
    return ended;
  }

  private async cancel(jobId: string, queue: Queue): Promise<void> {
    await raiseCancelFlag(this.deps.redis, jobId);
    const state = await queue.getJobState(jobId);
    // `remove` refuses a job a worker has locked, so a job that turned active meanwhile stays with its
    // trainer, which will see the flag.
    if (REMOVABLE.has(state)) await queue.remove(jobId);
    await this.settleIfGone(jobId, queue);
  }
}
