import { markRunning, type PrismaClient } from "@dpsynth/db";
import { type ConnectionOptions, type Queue, QueueEvents } from "bullmq";
import type { Cancellation } from "./cancellation.ts";
import type { EventConsumer } from "./event-consumer.ts";
import { failureOutcome } from "./failures.ts";
import { errorFields, type TLogger } from "./log.ts";
import { closeJob } from "./settlement.ts";

export interface TQueueEventDeps {
  prisma: PrismaClient;
  queue: Queue;
  consumer: EventConsumer;
  cancellation: Cancellation;
  log: TLogger;
}

/** Records how often BullMQ has started the job (retries and stalled restarts alike). */
export async function recordAttempt(deps: TQueueEventDeps, jobId: string): Promise<void> {
  const job = await deps.queue.getJob(jobId);
  if (!job) return;
  await markRunning(deps.prisma, jobId, { startedAt: new Date(), data: { attempts: job.attemptsStarted } });
}

/**
 * Follows the queue's own event stream: the fast path for what the trainers cannot report themselves. A
 * missed event (control was down) is caught by the recovery sweep, which looks at the same facts in BullMQ.
 * - `active`: a trainer took the job (again): attempts count, RUNNING.
 * - `stalled`: a trainer died holding it; BullMQ put it back to wait and the next trainer resumes it from its
 *   checkpoint, so there is nothing to change, only to say.
 * - `failed`: emitted only when BullMQ gives up (retries exhausted, an unrecoverable error, stalled too
 *   often): persist what the stream still holds, then settle as failed.
 * - `removed`: a queued job taken off the queue (the web's cancel): settle as cancelled.
 */
export function watchQueueEvents(
  deps: TQueueEventDeps,
  options: { connection: ConnectionOptions; prefix: string },
): QueueEvents {
  const events = new QueueEvents(deps.queue.name, { connection: options.connection, prefix: options.prefix });
  const guard = (what: string, jobId: string, work: () => Promise<unknown>) => {
    work().catch((error) => deps.log.error(`handling queue event ${what} failed`, { jobId, ...errorFields(error) }));
  };
  events.on("active", ({ jobId }) => guard("active", jobId, () => recordAttempt(deps, jobId)));
  events.on("stalled", ({ jobId }) => {
    deps.log.warn(
      "a trainer died holding this job; BullMQ will give it to another, which resumes its checkpoint or starts a new run",
      { jobId },
    );
  });
  events.on("failed", ({ jobId, failedReason }) =>
    guard("failed", jobId, async () => {
      const drain = (id: string) => deps.consumer.drain(id);
      if (await closeJob({ prisma: deps.prisma, drain }, jobId, () => failureOutcome(deps.prisma, jobId, failedReason)))
        deps.log.info("job failed for good and was settled", { jobId });
    }),
  );
  events.on("removed", ({ jobId }) => guard("removed", jobId, () => deps.cancellation.settleIfGone(jobId)));
  events.on("error", (error) => deps.log.error("queue events connection error", errorFields(error)));
  return events;
}
