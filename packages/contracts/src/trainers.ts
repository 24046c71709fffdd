import { z } from "zod";
import { MAX_JOB_DEVICES, SCHEMA_VERSION } from "./queue.ts";

/**
 * How often a trainer says it is alive, and how long Redis keeps what it said: a trainer that misses three
 * beats in a row (it died, or lost Redis) drops out of every list on its own, with nothing to clean up.
 */
export const TRAINER_HEARTBEAT = {
  intervalS: 5,
  ttlS: 15,
} as const;

/** Names of the trainer registry's keys, under the queue's prefix (`<prefix>:trainers`, `<prefix>:trainer:<id>`). */
export const TRAINER_KEYS = {
  /** Sorted set: trainer id → when it last beat (ms since the epoch); readers take the recent ones. */
  indexSuffix: "trainers",
  /** String with the heartbeat as JSON, written with the TTL above: `<prefix>:trainer:<id>`. */
  trainerSuffix: "trainer:",
} as const;

/**
 * The registry keys of one queue: the trainers serving a queue register under its prefix, so a test's queue
 * (a prefix of its own) sees only its own trainers.
 */
export function trainerRedisKeys(queuePrefix: string): { index: string; trainer: (id: string) => string } {
  return {
    index: `${queuePrefix}:${TRAINER_KEYS.indexSuffix}`,
    trainer: (id) => `${queuePrefix}:${TRAINER_KEYS.trainerSuffix}${id}`,
  };
}

export const ZDeviceKind = z.enum(["cpu", "gpu"]).meta({ title: "DeviceKind" });

/** What one trainer process says about itself every `TRAINER_HEARTBEAT.intervalS` seconds. */
export const ZTrainerHeartbeat = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    /** `<host>:<pid>`, the name its BullMQ connections carry (CLIENT LIST) and its jobs' logs name. */
    id: z.string().min(1).max(200),
    device: z
      .object({
        kind: ZDeviceKind,
        /** GPUs it may use; for a CPU trainer, the cores torch computes on. */
        count: z.int().min(1),
        /** What the device is called (`NVIDIA H200`, `cpu`). */
        name: z.string().max(200),
        /** Memory of one device in bytes: one GPU's, or the machine's RAM for a CPU trainer. */
        memoryBytes: z.int().min(0),
      })
      .meta({ title: "TrainerDevice" }),
    /**
     * Whether it can download a model from the Hugging Face hub: false when offline mode is set
     * (`HF_HUB_OFFLINE`, `TRANSFORMERS_OFFLINE`) or the hub's host does not answer.
     */
    hubReachable: z.boolean(),
    /**
     * Model ids it can load without the hub: catalog models built from a config or shipped in a package it has,
     * and hub ids already in its caches.
     */
    localModels: z.array(z.string().max(300)).max(1000),
    /**
     * Devices each job it takes trains on together (TRAINER_DEVICES): it reads only the queue `queueFor` names for
     * this count, so it runs exactly the jobs whose `training.devices` is this. Older trainers do not say: 1.
     */
    devicesPerJob: z.int().min(1).max(MAX_JOB_DEVICES).default(1),
    /** Jobs it runs at once (TRAINER_CONCURRENCY). */
    concurrency: z.int().min(1),
    /** The jobs it holds now; busy when there is at least one. */
    currentJobs: z.array(z.string().max(200)).max(64),
    startedAt: z.iso.datetime({ offset: true }),
    ts: z.iso.datetime({ offset: true }),
  })
  .meta({ title: "TrainerHeartbeat" });

export type TTrainerHeartbeat = z.infer<typeof ZTrainerHeartbeat>;
export type TDeviceKind = z.infer<typeof ZDeviceKind>;
