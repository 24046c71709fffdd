import { ZTrainerHeartbeat } from "@dpsynth/contracts";
import { z } from "zod";

/** One online trainer as the API shows it: its heartbeat, what it is doing, when it was last heard from. */
export const ZTrainer = ZTrainerHeartbeat.omit({ schemaVersion: true, ts: true, currentJobs: true }).extend({
  /** Busy while it holds a job, anyone's. */
  state: z.enum(["busy", "idle"]),
  /** How many jobs it holds now. */
  runningJobs: z.int().min(0),
  /** The ids of those the caller may see: an admin every one, an owner only their own. */
  currentJobs: z.array(z.string()),
  lastSeenAt: z.iso.datetime({ offset: true }),
});

export const ZCapacityReason = z.enum(["no-trainer", "needs-devices", "needs-gpu", "needs-hub"]);

/**
 * Whether the online trainers can run a model: `ok`; `warn` when none is online, or none that trains a job on the
 * devices it asks for (the job waits in its queue for one); `blocked` when such trainers are online and none of them
 * can (a GPU model on CPU trainers, a model to download while no trainer reaches the hub and none has it).
 */
export const ZCapacity = z.object({
  verdict: z.enum(["ok", "warn", "blocked"]),
  reason: ZCapacityReason.nullable(),
  /** A sentence for the form; null when the model can run. */
  message: z.string().nullable(),
  /** Online trainers that can run it. */
  trainers: z.int().min(0),
});

export const ZTrainerList = z.object({
  trainers: z.array(ZTrainer),
  /** The verdict for each catalog model the dashboard offers, by key: the model picker marks those that cannot run. */
  models: z.record(z.string(), ZCapacity),
});

export type TTrainer = z.infer<typeof ZTrainer>;
export type TCapacity = z.infer<typeof ZCapacity>;
export type TTrainerList = z.infer<typeof ZTrainerList>;
