import { jobDevices, type TrainQueues } from "@dpsynth/contracts";
import { IN_FLIGHT_JOB_STATUSES, markRunning, type PrismaClient } from "@dpsynth/db";
import { type ConnectionOptions, type Queue, QueueEvents } from "bullmq";
import type { Cancellation } from "./cancellation.ts";
import type { EventConsumer } from "./event-consumer.ts";
import { failureOutcome } from "./failures.ts";
import { errorFields, type TLogger } from "./log.ts";
import { closeJob } from "./settlement.ts";

export interface TQueueEventDeps {
  prisma: PrismaClient;
  /** The queue whose events are followed (one device count's). */
  queue: Queue;
  consumer: EventConsumer;
  cancellation: Cancellation;
  log: TLogger;
}

type TConnection = { connection: ConnectionOptions; prefix: string };

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
export function watchQueueEvents(deps: TQueueEventDeps, options: TConnection & { lastEventId?: string }): QueueEvents {
  const events = new QueueEvents(deps.queue.name, {
    connection: options.connection,
    prefix: options.prefix,
    ...(options.lastEventId ? { lastEventId: options.lastEventId } : {}),
  });
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
  events.on("removed", ({ jobId }) => guard("removed", jobId, () => deps.cancellation.settleIfGone(jobId, deps.queue)));
  events.on("error", (error) => deps.log.error("queue events connection error", errorFields(error)));
  return events;
}

/**
 * The queue-event listeners of every train queue in use: one per device count (`queueFor`), always the one-device
 * queue's, and the queue of any other count an open job has, started by `sync` (at start-up, then every sweep). A
 * listener started after start-up reads its queue's events from the creation of the oldest open job on it, so
 * nothing that happened to that job before control noticed its queue goes unseen; the handlers are idempotent, so
 * an event seen twice changes nothing. Listeners stay until `close`: a device count in use once is likely again.
 */
export class QueueWatchers {
  private readonly watching = new Map<number, QueueEvents>();
  private started = false;

  constructor(
    private readonly deps: Omit<TQueueEventDeps, "queue"> & { queues: TrainQueues<Queue> },
    private readonly options: TConnection,
  ) {}

  /** Listens on the queue of every device count an open job has (and the one-device queue), once each. */
  async sync(): Promise<void> {
    const open = await this.deps.prisma.job.findMany({
      where: { status: { in: [...IN_FLIGHT_JOB_STATUSES] } },
      select: { spec: true, createdAt: true },
      orderBy: { createdAt: "asc" },
    });
    const oldest = new Map<number, Date>();
    for (const job of open) {
      const devices = jobDevices(job.spec);
      if (!oldest.has(devices)) oldest.set(devices, job.createdAt);
    }
    const wanted = [...new Set([1, ...oldest.keys()])].filter((devices) => !this.watching.has(devices));
    for (const devices of wanted) {
      const since = this.started ? oldest.get(devices) : undefined;
      // A stream id is `<ms>-<seq>`: from a moment before the job was created.
      const lastEventId = since ? `${since.getTime() - 1000}-0` : undefined;
      const events = watchQueueEvents(
        { ...this.deps, queue: this.deps.queues.for(devices) },
        { ...this.options, lastEventId },
      );
      this.watching.set(devices, events);
      await events.waitUntilReady();
      if (this.started) this.deps.log.info("following a train queue", { queue: this.deps.queues.for(devices).name });
    }
    this.started = true;
  }

  /** The device counts whose queues are followed, fewest first. */
  devices(): number[] {
    return [...this.watching.keys()].sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    const listeners = [...this.watching.values()];
    this.watching.clear();
    await Promise.all(listeners.map((events) => events.close()));
  }
}
