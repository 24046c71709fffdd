import { z } from "zod";
import { MODEL_CATALOG, PRESETS, ZCatalogModel } from "./catalog.ts";
import { MAX_GUIDANCE_CONTRASTS, ZJobSpec } from "./job-spec.ts";
import { QUEUE, queuesByDevices, REDIS_KEYS, SCHEMA_VERSION } from "./queue.ts";
import { ZReport } from "./report.ts";
import { ZTrainerEvent } from "./trainer-events.ts";
import { TRAINER_HEARTBEAT, TRAINER_KEYS, ZTrainerHeartbeat } from "./trainers.ts";

/** Every schema the trainer validates against, by file name under `schema/`. */
export function jsonSchemaFiles(): Record<string, unknown> {
  // "input" for the spec: a producer may omit defaulted fields; "output" for what the trainer emits.
  return {
    "job-spec.schema.json": z.toJSONSchema(ZJobSpec, { io: "input" }),
    // The spec once its defaults are filled in: what the trainer's generated models parse (every field present).
    "job-spec.parsed.schema.json": z.toJSONSchema(ZJobSpec, { io: "output" }),
    "catalog-model.schema.json": z.toJSONSchema(ZCatalogModel, { io: "output" }),
    "trainer-event.schema.json": z.toJSONSchema(ZTrainerEvent, { io: "output" }),
    "report.schema.json": z.toJSONSchema(ZReport, { io: "output" }),
    "trainer-heartbeat.schema.json": z.toJSONSchema(ZTrainerHeartbeat, { io: "output" }),
    "constants.json": {
      schemaVersion: SCHEMA_VERSION,
      // The queue of every device count, so the trainer looks its queue up rather than spelling the rule again.
      queue: { ...QUEUE, byDevices: queuesByDevices() },
      redisKeys: REDIS_KEYS,
      trainers: { heartbeat: TRAINER_HEARTBEAT, keys: TRAINER_KEYS },
      sampling: { maxGuidanceContrasts: MAX_GUIDANCE_CONTRASTS },
    },
    "catalog.json": { models: MODEL_CATALOG, presets: PRESETS },
  };
}
