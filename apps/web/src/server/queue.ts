import "server-only";
import { QUEUE, type TJobSpec, type TrainQueues, ZJobSpec } from "@dpsynth/contracts";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { redisReady, withDeadline } from "./http/unavailable.ts";

const QUEUE_NAME = "The job queue (Redis)";

/**
 * A queue call that answers within the dependency deadline, or throws DeadlineError (answered 503). The queue's
 * connection is the web's own client (see context.ts), which is waited for while it (re)connects.
 */
async function onQueue<T>(queue: Queue, call: () => Promise<T>): Promise<T> {
  await redisReady(queue.opts.connection as Redis, QUEUE_NAME);
  return withDeadline(QUEUE_NAME, call());
}

/**
 * Retries resume from the job's checkpoint (the trainer's accountant continues), so a few attempts with
 * growing pauses ride out a lost worker without spending epsilon twice.
 */
const TRAIN_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: "exponential", delay: 30_000 },
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

/**
 * Puts a job on the train queue of its device count (`training.devices`: `train`, `train-<N>gpu`), which only
 * trainers of that many devices read. The spec is validated again here, the last moment before a trainer sees it.
 */
export async function enqueueTraining(queues: TrainQueues<Queue>, spec: TJobSpec): Promise<void> {
  const valid = ZJobSpec.parse(spec);
  const queue = queues.forSpec(valid);
  await onQueue(queue, () => queue.add(QUEUE.jobName, valid, { ...TRAIN_JOB_OPTIONS, jobId: valid.jobId }));
}

/** Takes a waiting job off the queue; false when a trainer already holds it (then only the cancel flag stops it). */
export async function removeFromQueue(queue: Queue, jobId: string): Promise<boolean> {
  const state = await onQueue(queue, () => queue.getJobState(jobId));
  if (state === "unknown") return true;
  if (state === "active" || state === "completed" || state === "failed") return false;
  return (await onQueue(queue, () => queue.remove(jobId))) === 1;
}
