import "server-only";
import type { TrainQueues } from "@dpsynth/contracts";
import { isInFlightJobStatus } from "@dpsynth/db";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { isUnavailable, withDeadline } from "../http/unavailable.ts";

/**
 * Which of these jobs wait for a trainer that is not there: none is connected to the job's queue (its device
 * count's: a trainer of another count never takes it), or the trainer that held the job stopped renewing its lock
 * (it died) and no live one has taken the job back yet. BullMQ hands such a job to the next trainer that connects,
 * so its status stays what it is; this says why nothing moves. The answer is derived from the queue on every read,
 * never stored. Null when the queue cannot be asked (Redis down): then it is unknown, not false.
 */
export async function waitingForTrainer(
  { queues, redis }: { queues: TrainQueues<Queue>; redis: Redis },
  jobs: readonly { id: string; status: string; spec: unknown }[],
): Promise<Map<string, boolean> | null> {
  // In flight: queued to start, or running (or resuming after its trainer died).
  const open = jobs.filter((job) => isInFlightJobStatus(job.status));
  const answer = new Map<string, boolean>(jobs.map((job) => [job.id, false]));
  if (open.length === 0) return answer;
  // Advisory: a read does not wait for Redis to come back, it says "unknown" at once.
  if (redis.status !== "ready") return null;
  try {
    return await withDeadline(
      "The job queue (Redis)",
      (async () => {
        const trainers = new Map<Queue, number>();
        for (const job of open) {
          const queue = queues.forSpec(job.spec);
          if (!trainers.has(queue)) trainers.set(queue, await queue.getWorkersCount());
          if (trainers.get(queue) === 0) {
            answer.set(job.id, true);
            continue;
          }
          const active = (await queue.getJobState(job.id)) === "active";
          answer.set(job.id, active && (await redis.exists(`${queue.toKey(job.id)}:lock`)) === 0);
        }
        return answer;
      })(),
    );
  } catch (error) {
    if (isUnavailable(error)) return null;
    throw error;
  }
}
