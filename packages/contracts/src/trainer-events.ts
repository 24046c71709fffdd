import { z } from "zod";
import { ZAccountant } from "./job-spec.ts";
import { SCHEMA_VERSION } from "./queue.ts";

const ZEventBase = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  jobId: z.string().min(1),
  /** Monotonic per job across attempts; (jobId, seq) is the idempotency key of persistence. */
  seq: z.int().min(0),
  ts: z.iso.datetime({ offset: true }),
  attempt: z.int().min(1),
});

export const ZStage = z.enum(["loading", "training", "sampling", "evaluating", "done"]).meta({ title: "Stage" });

export const ZStageEvent = ZEventBase.extend({
  type: z.literal("stage"),
  stage: ZStage,
}).meta({ title: "StageEvent" });

/**
 * Metric keys are namespaced: `train/loss`, `train/total_steps` (the run's planned logical steps),
 * `privacy/epsilon`, `perf/samples_per_s`, `sampling/rows_done`.
 */
export const ZMetricEvent = ZEventBase.extend({
  type: z.literal("metric"),
  step: z.int().min(0),
  epoch: z.number().min(0),
  values: z.record(z.string().regex(/^[a-z_]+\/[a-z0-9_]+$/), z.number()),
}).meta({ title: "MetricEvent" });

export const ZLogEvent = ZEventBase.extend({
  type: z.literal("log"),
  level: z.enum(["debug", "info", "warning", "error"]).meta({ title: "LogLevel" }),
  /** Never contains a record's content. */
  message: z.string().max(2000),
}).meta({ title: "LogEvent" });

export const ZArtifactName = z
  .enum(["synthetic.csv", "report.html", "report.json", "model"])
  .meta({ title: "ArtifactName" });

export const ZArtifactEvent = ZEventBase.extend({
  type: z.literal("artifact"),
  name: ZArtifactName,
  uri: z.string().min(1),
  bytes: z.int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
}).meta({ title: "ArtifactEvent" });

export const ZPrivacyMechanism = z
  .enum(["dp-sgd", "gaussian-label-counts", "gaussian-label-set"])
  .meta({ title: "PrivacyMechanism" });

/**
 * One run of a mechanism: a training run (kept by every attempt that resumes its checkpoint; an attempt that
 * finds none starts a new run), or the job's one release of label counts.
 */
export const ZRunId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/**
 * What one run has released so far through one mechanism, cumulative within the run (every attempt that
 * resumed it and every step taken, including steps lost to a crash). The control plane charges the ledger
 * from these, per (job, mechanism, run): a replayed event adds nothing, and a run that started over is charged
 * in addition to the runs before it, never instead. A ledger entry is money, so it gets a typed event rather
 * than a metric key.
 */
export const ZPrivacyEvent = ZEventBase.extend({
  type: z.literal("privacy"),
  mechanism: ZPrivacyMechanism,
  runId: ZRunId,
  /**
   * A training run that started over after earlier runs of the job reports what it adds to their composition
   * (its accountant holds every earlier step too), so the sum over runs is the epsilon of every step ever taken
   * and delta is charged once, by the first run.
   */
  epsilon: z.number().min(0),
  delta: z.number().min(0).lt(1),
  /** Steps of this run. */
  steps: z.int().min(0),
}).meta({ title: "PrivacyEvent" });

export const ZTrainingSummary = z
  .object({
    /** The run that trained the delivered model; `epsilon` below covers it and every run before it. */
    runId: ZRunId,
    noiseMultiplier: z.number().min(0),
    sampleRate: z.number().min(0).max(1),
    steps: z.int().min(0),
    epochs: z.number().min(0),
    maxGradNorm: z.number().positive(),
    accountant: z.enum([...ZAccountant.options, "none"]),
    epsilon: z.union([z.number().min(0), z.literal("inf")]),
    delta: z.number().min(0).lt(1),
    clipping: z.enum(["ghost", "hooks", "none"]),
  })
  .meta({ title: "TrainingSummary" });

export const ZResultEvent = ZEventBase.extend({
  type: z.literal("result"),
  training: ZTrainingSummary,
  /** Headline numbers of the report, namespaced like metrics (`eval/tstr_accuracy_tfidf`). */
  metrics: z.record(z.string(), z.number()),
  artifacts: z.array(ZArtifactName),
  /** Synthetic rows asked for and delivered; fewer delivered is a shortfall the job must show. */
  rows: z.object({ requested: z.int().min(0), produced: z.int().min(0) }),
  /** What the owner must know about the outcome (a shortfall, a skipped metric); empty when all went as asked. */
  warnings: z.array(z.string().max(2000)).max(50),
}).meta({ title: "ResultEvent" });

export const ZTrainerErrorCode = z
  .enum([
    "bad_input",
    "unknown_model",
    "budget_exceeded",
    "out_of_memory",
    "cancelled",
    /** No usable synthetic row came out within the bounded number of candidates. */
    "no_rows",
    "internal",
  ])
  .meta({ title: "TrainerErrorCode" });

export const ZErrorEvent = ZEventBase.extend({
  type: z.literal("error"),
  code: ZTrainerErrorCode,
  /** A sentence a data owner can act on; never a record's content. */
  message: z.string().max(2000),
  retryable: z.boolean(),
}).meta({ title: "ErrorEvent" });

export const ZTrainerEvent = z.discriminatedUnion("type", [
  ZStageEvent,
  ZMetricEvent,
  ZLogEvent,
  ZArtifactEvent,
  ZPrivacyEvent,
  ZResultEvent,
  ZErrorEvent,
]);

export type TTrainerEvent = z.infer<typeof ZTrainerEvent>;
export type TStage = z.infer<typeof ZStage>;
export type TMetricEvent = z.infer<typeof ZMetricEvent>;
export type TPrivacyEvent = z.infer<typeof ZPrivacyEvent>;
export type TResultEvent = z.infer<typeof ZResultEvent>;
export type TErrorEvent = z.infer<typeof ZErrorEvent>;
export type TArtifactName = z.infer<typeof ZArtifactName>;
export type TTrainingSummary = z.infer<typeof ZTrainingSummary>;
