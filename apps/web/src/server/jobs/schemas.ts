import {
  PRESETS,
  ZArtifactName,
  ZEvaluationSpec,
  ZJobSpec,
  ZLabelMix,
  ZModelSpec,
  ZPrivacySpec,
  ZPromptSpec,
  ZSamplingSpec,
  ZTrainingSpec,
} from "@dpsynth/contracts";
import { REQUEST_OUTCOMES } from "@dpsynth/db";
import { z } from "zod";
import { ZBudget, ZId, ZUserRef } from "../datasets/schemas.ts";
import { ZCapacity } from "../trainers/schemas.ts";
import { ZJobOutcome, ZJobStatus } from "./outcome.ts";

/**
 * Overrides of one section of the job spec: the contract's own fields, all optional and without their
 * defaults (a default here would silently replace the preset's value). The merged spec is validated by
 * ZJobSpec itself, so no rule is restated.
 */
function overridesOf(schema: z.ZodObject, omit: readonly string[] = []): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    if (omit.includes(key)) continue;
    let inner = field as z.ZodType;
    while (inner instanceof z.ZodDefault || inner instanceof z.ZodPrefault) inner = inner.unwrap() as z.ZodType;
    // A nested section (model.lora) is overridden field by field too, so `{ lora: { r: 16 } }` keeps the preset's
    // other LoRA settings instead of resetting them to the contract's defaults.
    shape[key] = (inner instanceof z.ZodObject ? overridesOf(inner) : inner).optional();
  }
  return z.strictObject(shape);
}

export const ZHyperparameters = z.strictObject({
  model: overridesOf(ZModelSpec, ["id"]).optional(),
  privacy: overridesOf(ZPrivacySpec, ["epsilon", "delta", "labelCounts", "labelSet"]).optional(),
  training: overridesOf(ZTrainingSpec).optional(),
  sampling: overridesOf(ZSamplingSpec, ["rows", "labelMix"]).optional(),
  evaluation: overridesOf(ZEvaluationSpec).optional(),
});

export const ZPresetName = z.enum(Object.keys(PRESETS) as [keyof typeof PRESETS, ...(keyof typeof PRESETS)[]]);

/** Body of `POST /jobs` and `POST /jobs/quote`. */
export const ZCreateJob = z.object({
  datasetId: ZId,
  /**
   * A catalog key (`smollm2-135m`), a Hugging Face id (`org/name`), or an absolute path to a model directory under
   * the trainers' model roots (the trainer checks that; the web only checks the shape).
   */
  model: z.string().min(1).max(300),
  /** Total epsilon for the job, every mechanism included (DP label counts or the DP label set take a share of it). */
  epsilon: z.number().positive().max(100),
  /** Defaults to the preset's delta, capped at a tenth of the dataset's delta budget. */
  delta: z.number().positive().lt(1).optional(),
  syntheticRows: z.int().min(1).max(1_000_000),
  /** Presets marked for tests (tiny random models) are accepted here; the dashboard never offers them. */
  preset: ZPresetName.default("cpu"),
  hyperparameters: ZHyperparameters.optional(),
  /** Over the declared label set only; a custom mix may name declared labels only. */
  labelMix: ZLabelMix.default({ kind: "dp-counts" }),
  /**
   * This job's descriptions of declared labels, `{ value: description }`, in place of the dataset's (the words the
   * model is prompted with; public). Labels left out keep the dataset's description.
   */
  labelDescriptions: z.record(z.string(), z.string().trim().min(1).max(500)).optional(),
  /** How a row becomes a prompt: the style and the instruction template (see the job spec's `prompt`). */
  prompt: overridesOf(ZPromptSpec).optional(),
});

const ZShare = z.object({ epsilon: z.number(), delta: z.number() });

export const ZQuoteOutcome = z.enum(REQUEST_OUTCOMES);

export const ZQuote = z.object({
  outcome: ZQuoteOutcome,
  /** A sentence for the form: what submitting would do, with the numbers. */
  message: z.string(),
  requested: z.object({ epsilon: z.number(), delta: z.number() }),
  /**
   * How the requested (ε, δ) is split between the mechanisms: the label releases' shares (null when not used) and
   * what training gets. The requested total includes every share.
   */
  split: z.object({
    training: ZShare,
    labelCounts: ZShare.nullable(),
    labelSet: ZShare.nullable(),
  }),
  /** Epsilon left on the dataset. */
  remaining: z.number(),
  /** The caller's largest epsilon on one dataset without approval, all their jobs on it together. */
  allowance: z.number(),
  /** Epsilon the caller's jobs already hold on this dataset: charged plus reserved. */
  held: z.number(),
  budget: ZBudget,
  /** Whether the trainers online now can run the model; null when the trainer registry could not be asked. */
  capacity: ZCapacity.nullable(),
  /**
   * How long the job should take, in seconds, at the throughput measured for its model (the contracts'
   * `THROUGHPUT`, on the machine it names); null for a model without a measured figure.
   */
  estimate: z
    .object({
      totalS: z.number(),
      stages: z.object({ loading: z.number(), training: z.number(), sampling: z.number(), evaluating: z.number() }),
      machine: z.string(),
      source: z.string(),
    })
    .nullable(),
  /**
   * An average row of the dataset in tokens, as the job would write it (estimated from the owner's column
   * statistics, see the contracts' `rowWork`): the form warns when rows would be cut.
   */
  rowWork: z.object({
    rowTokens: z.int(),
    textTokens: z.int(),
    sampledTokens: z.int(),
    streams: z.int(),
  }),
});

const ZDate = z.iso.datetime();

export const ZJob = z.object({
  id: z.string(),
  datasetId: z.string(),
  /** The job's dataset, with what tells it from another of the same name: owner, upload time, rows. */
  dataset: z.object({
    id: z.string(),
    name: z.string(),
    owner: z.object({ email: z.string() }),
    createdAt: ZDate,
    trainRows: z.int(),
    holdoutRows: z.int(),
  }),
  requester: ZUserRef,
  status: ZJobStatus,
  /**
   * What the owner should read from the status: a SUCCEEDED job that delivered fewer rows than asked, or has
   * warnings, is "succeeded-with-warnings", never plain "succeeded".
   */
  outcome: ZJobOutcome,
  /** Synthetic rows asked for and delivered, once the trainer reported its result. */
  rows: z.object({ requested: z.int(), produced: z.int() }).nullable(),
  /** What the owner must know about the outcome (a shortfall, a skipped metric). */
  warnings: z.array(z.string()),
  stage: z.enum(["loading", "training", "sampling", "evaluating", "done"]).nullable(),
  epsilon: z.number().nullable(),
  delta: z.number(),
  epsilonSpent: z.number(),
  /** Why the request ran at once or waited for an admin, in the ledger's words at the time it was made. */
  decisionNote: z.string().nullable(),
  attempts: z.int(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  /** True once a cancel was asked for; the job ends CANCELLED when its trainer stops. */
  cancelRequested: z.boolean(),
  /**
   * True while the job is queued or running but no trainer has it: none is connected, or the one that held it
   * died and its lock lapsed. It goes on as soon as a trainer is back. Null when the queue could not be asked.
   */
  waitingForTrainer: z.boolean().nullable(),
  /** While QUEUED: how many queued jobs (anyone's) were requested before this one and wait too; null otherwise. */
  queuedAhead: z.int().min(0).nullable(),
  metrics: z.record(z.string(), z.number()).nullable(),
  spec: ZJobSpec,
  artifacts: z.array(z.object({ name: ZArtifactName, bytes: z.int(), sha256: z.string() })),
  approval: z
    .object({ decision: z.enum(["APPROVED", "REJECTED"]), reason: z.string(), adminId: z.string(), createdAt: ZDate })
    .nullable(),
  createdAt: ZDate,
  startedAt: ZDate.nullable(),
  finishedAt: ZDate.nullable(),
});

export const ZJobList = z.object({ jobs: z.array(ZJob) });
export const ZJobListQuery = z.object({ datasetId: ZId.optional(), status: ZJobStatus.optional() });

export const ZMetricPoint = z.object({
  seq: z.int(),
  step: z.int(),
  epoch: z.number(),
  epsilon: z.number().nullable(),
  loss: z.number().nullable(),
  /** Every namespaced value of the metric event (`perf/samples_per_s`, `sampling/rows_done`, …). */
  values: z.record(z.string(), z.number()),
});
export const ZMetrics = z.object({ points: z.array(ZMetricPoint) });

/** Artifacts an owner may download; the model checkpoint stays server-side. */
export const ZDownloadName = ZArtifactName.exclude(["model"]);
export const ZArtifactParams = z.object({ id: ZId, name: ZDownloadName });

export type TCreateJob = z.infer<typeof ZCreateJob>;
export type TQuote = z.infer<typeof ZQuote>;
export type TJob = z.infer<typeof ZJob>;
export type TMetricPoint = z.infer<typeof ZMetricPoint>;
