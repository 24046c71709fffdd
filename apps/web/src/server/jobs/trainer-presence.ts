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
        const trainers = new Map<Queue, boolean>();
        for (const job of open) {
          const queue = queues.forSpec(job.spec);
          if (!trainers.has(queue)) trainers.set(queue, await trainersConnected(queue, redis));
          if (!trainers.get(queue)) {
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

/** Redis' refusal of CLIENT (some hosted Redis offer no CLIENT LIST), as BullMQ recognises it. */
const NO_CLIENT_COMMAND = /ERR unknown command ['`]\s*client\s*['`]/i;

/**
 * Whether any worker is connected to the queue, read off Redis' CLIENT LIST by the names BullMQ gives a worker's
 * connections: `<prefix>:<queue>`, then `:w:<worker name>` for a named worker. Node's BullMQ writes the queue name
 * in base64 (`dpsynth:dHJhaW4=`, all that `queue.getWorkersCount()` looks for), the Python port that the trainers
 * run writes it plainly (`dpsynth:train:w:<host>:<pid>`): both count. Where Redis offers no CLIENT LIST nothing
 * can be told, and a trainer is assumed there (as BullMQ does).
 */
async function trainersConnected(queue: Queue, redis: Redis): Promise<boolean> {
  const prefix = queue.qualifiedName.slice(0, -queue.name.length);
  const names = [`${prefix}${Buffer.from(queue.name).toString("base64")}`, queue.qualifiedName];
  let list: string;
  try {
    list = String(await redis.client("LIST"));
  } catch (error) {
    if (error instanceof Error && NO_CLIENT_COMMAND.test(error.message)) return true;
    throw error;
  }
  return list.split("\n").some((line) => {
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1];
    return name !== undefined && names.some((queueName) => name === queueName || name.startsWith(`${queueName}:w:`));
  });
}
