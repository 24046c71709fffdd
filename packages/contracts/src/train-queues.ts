import { ZJobDevices } from "./job-spec.ts";
import { queueFor } from "./queue.ts";

/**
 * How many devices a job trains on, read off its spec as it was queued or stored (`Job.spec`): `training.devices`,
 * 1 for a spec that does not say. A spec whose count is not a valid one throws: specs are validated before they are
 * stored, so that is a bug, and guessing a queue would lose the job.
 */
export function jobDevices(spec: unknown): number {
  const training = typeof spec === "object" && spec !== null ? (spec as { training?: unknown }).training : undefined;
  const devices =
    typeof training === "object" && training !== null ? (training as { devices?: unknown }).devices : undefined;
  return ZJobDevices.parse(devices);
}

/** What a process needs of one BullMQ queue object to hold it here. */
interface TClosable {
  close(): Promise<unknown>;
}

/**
 * The train queues one process produces on or reads, one per device count (`queueFor`), each opened on first use:
 * every place that needs a job's queue asks this for it by the job's spec, so no place can put a job on one queue
 * and look for it on another. `open` makes the process's own kind of queue object (web and control connect
 * differently); this module knows nothing of BullMQ.
 */
export class TrainQueues<TQueue extends TClosable> {
  private readonly opened = new Map<number, TQueue>();

  constructor(private readonly open: (name: string, devices: number) => TQueue) {}

  /** The queue of jobs that train on `devices` devices. */
  for(devices: number): TQueue {
    let queue = this.opened.get(devices);
    if (!queue) {
      queue = this.open(queueFor(devices), devices);
      this.opened.set(devices, queue);
    }
    return queue;
  }

  /** The queue a job belongs on, by its spec (`jobDevices`). */
  forSpec(spec: unknown): TQueue {
    return this.for(jobDevices(spec));
  }

  /** The queues opened so far, by device count, fewest devices first. */
  entries(): [devices: number, queue: TQueue][] {
    return [...this.opened.entries()].sort(([a], [b]) => a - b);
  }

  /** Closes every queue opened so far; the next `for` opens a new one. */
  async close(): Promise<void> {
    const queues = [...this.opened.values()];
    this.opened.clear();
    await Promise.all(queues.map((queue) => queue.close()));
  }
}
