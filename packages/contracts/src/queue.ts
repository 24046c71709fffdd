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

export const SCHEMA_VERSION = 1 as const;
