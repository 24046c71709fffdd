/**
 * Names shared by every process that touches Redis. The trainer reads them from the generated
 * `schema/constants.json`, so they are written down once, here.
 */
export const QUEUE = {
  /** BullMQ queue that carries training jobs to the Python trainers. */
  train: "train",
  /** BullMQ key prefix; both the Node producer and the Python worker use it. */
  prefix: "dpsynth",
  /** The one job name on the train queue. */
  jobName: "training.run",
} as const;

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
