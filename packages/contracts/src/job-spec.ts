import { z } from "zod";
import { SCHEMA_VERSION } from "./queue.ts";

const ZPositive = z.number().positive();

/** How the base model is adapted: LoRA by default; full fine-tuning for small models; QLoRA on CUDA only. */
export const ZFinetuneMethod = z.enum(["lora", "full", "qlora"]);

export const ZLoraConfig = z.object({
  r: z.int().min(1).max(256).default(8),
  alpha: z.number().positive().default(16),
  dropout: z.number().min(0).max(0.5).default(0),
  /** Module names to adapt; empty means the family's default (attention projections). */
  targetModules: z.array(z.string()).default([]),
});

export const ZModelSpec = z.object({
  /** A Hugging Face model id, a local directory, or a catalog key such as `smollm2-135m`. */
  id: z.string().min(1).max(300),
  revision: z.string().max(100).optional(),
  finetune: ZFinetuneMethod.default("lora"),
  lora: ZLoraConfig.prefault({}),
});

/**
 * How DP-SGD's privacy loss is accounted and calibrated: PRV (the default) falls back to PLD where its numerical
 * composition fails, PLD to RDP; RDP stays selectable. All three are upper bounds for the same mechanism.
 */
export const ZAccountant = z.enum(["prv", "pld", "rdp"]);

/** A (epsilon, delta) pair for one mechanism. */
export const ZPrivacyShare = z.object({ epsilon: ZPositive, delta: z.number().min(0).lt(1) });

export const ZPrivacySpec = z.object({
  /**
   * Total epsilon approved for the job, all mechanisms together; "inf" is the non-private baseline,
   * which runs the same code without the privacy engine.
   */
  epsilon: z.union([ZPositive, z.literal("inf")]),
  delta: z.number().min(0).lt(1),
  /** The share of (epsilon, delta) spent on releasing label counts; null when the label mix is not DP. */
  labelCounts: ZPrivacyShare.nullable().default(null),
  accountant: ZAccountant.default("prv"),
  maxGradNorm: ZPositive.default(0.01),
  /** "ghost" is fast gradient clipping; "hooks" per-sample gradients; "auto" picks ghost where the layers allow. */
  clipping: z.enum(["auto", "ghost", "hooks"]).default("auto"),
});

export const ZTrainingSpec = z.object({
  epochs: z.number().positive().max(100).default(5),
  learningRate: ZPositive.default(5.1e-4),
  logicalBatchSize: z.int().min(1).default(1024),
  physicalBatchSize: z.int().min(1).default(8),
  maxSeqLen: z.int().min(8).max(4096).default(300),
  seed: z.int().min(0).default(0),
  /** Logical steps between checkpoints. */
  checkpointEvery: z.int().min(1).default(10),
});

export const ZLabelMix = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("dp-counts") }),
  z.object({ kind: z.literal("uniform") }),
  z.object({ kind: z.literal("custom"), weights: z.record(z.string(), z.number().nonnegative()) }),
]);

export const ZSamplingSpec = z.object({
  rows: z.int().min(1).max(1_000_000),
  labelMix: ZLabelMix.default({ kind: "dp-counts" }),
  temperature: z.number().positive().max(5).default(1),
  topP: z.number().gt(0).max(1).default(1),
  maxNewTokens: z.int().min(1).max(4096).default(128),
  batchSize: z.int().min(1).max(1024).default(16),
  seed: z.int().min(0).default(0),
});

export const ZEvaluationSpec = z.object({
  classifiers: z.array(z.enum(["tfidf", "embedding", "transformer"])).default(["tfidf", "embedding"]),
  /** Sentence encoder for embedding metrics: an HF id, a local path, or the catalog key `all-minilm-l6-v2`. */
  encoder: z.string().default("all-minilm-l6-v2"),
  /** Encoder fine-tuned for the transformer classifier (CUDA only). */
  transformerClassifier: z.string().default("bert-base-uncased"),
});

export const ZDataSpec = z.object({
  /** Blob URIs (`file:///…` or `s3://…`) of the train and holdout splits, fixed at upload. */
  trainUri: z.string().min(1),
  holdoutUri: z.string().min(1),
  textColumn: z.string().min(1),
  labelColumn: z.string().min(1),
  /** Separator between the label and the text in the serialised row. */
  separator: z.string().min(1).default("\t"),
  /** Number of training rows, which bounds delta (delta < 1/n). */
  trainRows: z.int().min(1),
});

/** Everything a trainer needs to run one job; validated by the producer and again by the worker. */
export const ZJobSpec = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  jobId: z.string().min(1).max(64),
  datasetId: z.string().min(1).max(64),
  model: ZModelSpec,
  privacy: ZPrivacySpec,
  training: ZTrainingSpec.prefault({}),
  sampling: ZSamplingSpec,
  evaluation: ZEvaluationSpec.prefault({}),
  data: ZDataSpec,
  /** Blob URI prefix under which the trainer writes checkpoints and artifacts for this job. */
  outputUri: z.string().min(1),
});

export type TJobSpec = z.infer<typeof ZJobSpec>;
/** The spec as a producer may write it, before defaults are filled in. */
export type TJobSpecInput = z.input<typeof ZJobSpec>;
export type TModelSpec = z.infer<typeof ZModelSpec>;
export type TPrivacySpec = z.infer<typeof ZPrivacySpec>;
export type TSamplingSpec = z.infer<typeof ZSamplingSpec>;
export type TLabelMix = z.infer<typeof ZLabelMix>;
