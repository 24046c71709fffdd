/**
 * Names shared by every process that touches Redis. The trainer reads them from the generated
 * `schema/constants.json`, so they are written down once, here.
 */
export const QUEUE = {
  /** BullMQ queue that carries one-device training jobs to the Python trainers (`queueFor(1)`). */
  train: "train",
  /** BullMQ key prefix; both the Node producer and the Python worker use it. */
  prefix: "dpsynth",
  /** The one job name on the train queue. */
  jobName: "training.run",
} as const;

/** The most devices one job may train on (`training.devices`), and so the most a trainer may be given. */
export const MAX_JOB_DEVICES = 64;

/**
 * The one rule for which BullMQ queue carries a job that trains on `devices` devices: `train` for one, `train-<N>gpu`
 * for N. Only trainers of that many devices (TRAINER_DEVICES) read a queue, so a job never waits behind jobs it
 * could not share a trainer with. The trainer reads every name from `constants.json`'s `queue.byDevices`; the Helm
 * chart's `dpsynth.trainQueue` (infra/helm) spells the same rule in Go templates, and scripts/lib/helm-chart.test.ts
 * holds the chart to this function.
 */
export function queueFor(devices: number): string {
  if (!Number.isInteger(devices) || devices < 1 || devices > MAX_JOB_DEVICES) {
    throw new RangeError(`a job trains on 1 to ${MAX_JOB_DEVICES} devices, not ${devices}`);
  }
  return devices === 1 ? QUEUE.train : `${QUEUE.train}-${devices}gpu`;
}

/** Every device count's queue, `{ "1": "train", "2": "train-2gpu", ... }`: what the trainer gets in constants.json. */
export function queuesByDevices(): Record<string, string> {
  return Object.fromEntries(
    Array.from({ length: MAX_JOB_DEVICES }, (_, index) => [String(index + 1), queueFor(index + 1)]),
  );
}

export const REDIS_KEYS = {
  /** Redis stream of trainer events for one job: `dpsynth:events:<jobId>`. */
  eventsStreamPrefix: "dpsynth:events:",
  /** Monotonic event sequence per job, shared by every attempt so (jobId, seq) stays unique. */
  eventSeqPrefix: "dpsynth:seq:",
  /** Set by the control plane when a running job is cancelled; the trainer polls it between steps. */
  cancelPrefix: "dpsynth:cancel:",
  /** Field of an events-stream entry that holds the event as JSON: `XADD <stream> * event <json>`. */
  eventField: "event",
} as const;

/** The Redis keys of one job, spelled from `REDIS_KEYS`: web and control build every job key through this. */
export function jobRedisKeys(jobId: string): { events: string; seq: string; cancel: string } {
  return {
    events: `${REDIS_KEYS.eventsStreamPrefix}${jobId}`,
    seq: `${REDIS_KEYS.eventSeqPrefix}${jobId}`,
    cancel: `${REDIS_KEYS.cancelPrefix}${jobId}`,
  };
}

/** How long a job's Redis keys live, in seconds (the trainer only reads them, so they are not in constants.json). */
export const JOB_KEY_TTL_S = {
  /** A raised cancel flag: long enough for any trainer to see it, short enough not to linger forever. */
  cancelFlag: 7 * 24 * 3600,
  /** A finished job's stream, counter and flag, kept for an SSE client that is still catching up. */
  afterFinish: 24 * 3600,
} as const;

export const SCHEMA_VERSION = 1 as const;
