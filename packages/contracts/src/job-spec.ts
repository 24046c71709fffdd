import { z } from "zod";
import { MAX_JOB_DEVICES, SCHEMA_VERSION } from "./queue.ts";

const ZPositive = z.number().positive();

/**
 * How the base model is adapted: LoRA by default; full fine-tuning for small models; QLoRA on CUDA only.
 * Full fine-tuning trains every weight except an input embedding tied to the output head (GPT-2, SmolLM2),
 * which stays frozen and tied: DP noise on a vocabulary-sized matrix mostly lands on tokens a table never uses,
 * and a weight shared by two layers is what ghost clipping cannot cover (trainer: models/adapters.py).
 */
export const ZFinetuneMethod = z.enum(["lora", "full", "qlora"]).meta({ title: "FinetuneMethod" });

export const ZLoraConfig = z
  .object({
    r: z.int().min(1).max(256).default(8),
    alpha: z.number().positive().max(1024).default(16),
    dropout: z.number().min(0).max(0.5).default(0),
    /** Module names to adapt; empty means the family's default (attention projections). */
    targetModules: z.array(z.string().min(1).max(100)).max(32).default([]),
    /**
     * Adapt only the last N transformer layers (null: all). The backward pass then stops at the lowest adapted
     * layer, so training costs less: on a CPU this is most of a step's time.
     */
    lastLayers: z.int().min(1).max(1000).nullable().default(null),
  })
  .meta({ title: "LoraSpec" });

export const ZModelSpec = z
  .object({
    /** A Hugging Face model id, a local directory, or a catalog key such as `smollm2-135m`. */
    id: z.string().min(1).max(300),
    revision: z.string().max(100).optional(),
    finetune: ZFinetuneMethod.default("lora"),
    lora: ZLoraConfig.prefault({}),
  })
  .meta({ title: "ModelSpec" });

/**
 * How DP-SGD's privacy loss is accounted and calibrated: PRV (the default) falls back to PLD where its numerical
 * composition fails, PLD to RDP; RDP stays selectable. All three are upper bounds for the same mechanism.
 */
export const ZAccountant = z.enum(["prv", "pld", "rdp"]).meta({ title: "Accountant" });

/** A (epsilon, delta) pair for one mechanism. */
export const ZPrivacyShare = z
  .object({ epsilon: ZPositive.max(100), delta: z.number().min(0).lt(1) })
  .meta({ title: "PrivacyShare" });

/** 0 (a non-private run), or a delta below 1 and not so small that it is a slip (5e-324 gives no noise level). */
const ZDelta = z.union([z.literal(0), z.number().min(1e-30).lt(1)]);

export const ZPrivacySpec = z
  .object({
    /**
     * Total epsilon approved for the job, all mechanisms together; "inf" is the non-private baseline,
     * which runs the same code without the privacy engine.
     */
    epsilon: z.union([ZPositive.max(100), z.literal("inf")]),
    delta: ZDelta,
    /** The share of (epsilon, delta) spent on releasing label counts; null when the label mix is not DP. */
    labelCounts: ZPrivacyShare.nullable().default(null),
    /**
     * The share of (epsilon, delta) spent on releasing the label set with a thresholded noisy histogram, for a
     * dataset whose owner did not declare its labels (`data.labelSource` "dp-histogram"); null otherwise. Its
     * noisy counts also give the label mix, so such a job has no separate `labelCounts` share.
     */
    labelSet: ZPrivacyShare.nullable().default(null),
    accountant: ZAccountant.default("prv"),
    maxGradNorm: ZPositive.max(1000).default(0.01),
    /** "ghost" is fast gradient clipping; "hooks" per-sample gradients; "auto" picks ghost where the layers allow. */
    clipping: z.enum(["auto", "ghost", "hooks"]).default("auto"),
  })
  .meta({ title: "PrivacySpec" });

/** Epsilon a job spends on its labels (the DP label counts, or the DP label set) before training starts. */
export function labelReleaseEpsilon(privacy: {
  labelCounts?: { epsilon: number } | null;
  labelSet?: { epsilon: number } | null;
}): number {
  return (privacy.labelCounts?.epsilon ?? 0) + (privacy.labelSet?.epsilon ?? 0);
}

/** How many devices a job trains on: `training.devices`, 1 unless the spec says. */
export const ZJobDevices = z.int().min(1).max(MAX_JOB_DEVICES).default(1);

export const ZTrainingSpec = z
  .object({
    epochs: z.number().positive().max(100).default(5),
    learningRate: ZPositive.max(1).default(5.1e-4),
    logicalBatchSize: z.int().min(1).max(1_000_000).default(1024),
    physicalBatchSize: z.int().min(1).max(4096).default(8),
    maxSeqLen: z.int().min(8).max(4096).default(300),
    seed: z
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
    /** Logical steps between checkpoints. */
    checkpointEvery: z.int().min(1).max(1_000_000).default(10),
    /**
     * Compute precision of the forward and backward passes. "auto" is bf16 autocast where the device supports it
     * (CPUs with AVX512-BF16 or AMX, recent GPUs) and float32 elsewhere. Per-sample gradients, their norms and the
     * clipping are always float32, so the privacy guarantee does not depend on it; a ghost-clipped run trains in
     * float32 whatever this says, because ghost clipping realises the clipped gradients in the pass's precision.
     */
    precision: z.enum(["auto", "bf16", "fp32"]).default("auto"),
    /**
     * Processes (one per GPU) that train the job together under `torchrun`, with Opacus' distributed DP-SGD: each
     * logical step is Poisson-sampled across all of them and noised once, so the privacy accounting is the same as
     * on one device. The job goes on its device count's queue (`queueFor`), which only trainers of that many
     * devices (TRAINER_DEVICES) read; such a trainer runs it under `torchrun --nproc-per-node <devices>`.
     */
    devices: ZJobDevices,
  })
  .meta({ title: "TrainingSpec" });

export const ZLabelMix = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("dp-counts") }).meta({ title: "DpCountsMix" }),
  z.object({ kind: z.literal("uniform") }).meta({ title: "UniformMix" }),
  z
    .object({ kind: z.literal("custom"), weights: z.record(z.string(), z.number().nonnegative()) })
    .meta({ title: "CustomMix" }),
]);

/**
 * With guidance on, each row is decoded against at most this many other labels' prompts (a random subset when there
 * are more), so a table with many labels does not multiply the cost of decoding by their number.
 */
export const MAX_GUIDANCE_CONTRASTS = 4;

export const ZSamplingSpec = z
  .object({
    rows: z.int().min(1).max(1_000_000),
    labelMix: ZLabelMix.default({ kind: "dp-counts" }),
    temperature: z.number().positive().max(5).default(1),
    topP: z.number().gt(0).max(1).default(0.95),
    /** Tokens per generated value: the text, and each other synthesised column. */
    maxNewTokens: z.int().min(1).max(4096).default(128),
    batchSize: z.int().min(1).max(1024).default(32),
    seed: z
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
    /**
     * Contrastive (classifier-free-guidance-style) decoding against the other labels' prompts: 0 is off; higher
     * values push each row further towards its own label. Reads only the model and the prompts: no privacy cost.
     */
    guidance: z.number().min(0).max(10).default(1.5),
    /**
     * Keep a candidate row only when the fine-tuned model, scoring it under every label's prompt (the label mix as
     * prior), finds its own label the most likely; candidates are generated until the count is met. No privacy cost.
     */
    rescoring: z.boolean().default(true),
    /**
     * With re-scoring on, a candidate is kept only when its own label is the most likely one and has at least this
     * posterior: higher keeps fewer, clearer rows (more candidates are generated to make up for them).
     */
    minPosterior: z.number().min(0).max(1).default(0.9),
    /** Candidates generated per requested row at most, before the job reports a shortfall. */
    maxCandidatesPerRow: z.number().min(1).max(20).default(4),
    /**
     * Prefix cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return)
     * with an apostrophe in synthetic.csv. Turn off only for consumers that never open the file in a spreadsheet.
     */
    escapeFormulas: z.boolean().default(true),
  })
  .meta({ title: "SamplingSpec" });

export const ZEvaluationSpec = z
  .object({
    classifiers: z
      .array(z.enum(["tfidf", "embedding", "transformer"]))
      .min(1)
      .default(["tfidf", "embedding"]),
    /** Sentence encoder for embedding metrics: an HF id, a local path, or the catalog key `all-minilm-l6-v2`. */
    encoder: z.string().min(1).max(300).default("all-minilm-l6-v2"),
    /** Encoder fine-tuned for the transformer classifier (CUDA only). */
    transformerClassifier: z.string().min(1).max(300).default("bert-base-uncased"),
    /**
     * Rows sampled from the untrained model with the same prompts and post-processing (the prior-only baseline,
     * epsilon 0), so the report shows what fine-tuning added; 0 skips it. Capped at the requested rows.
     */
    baselineRows: z.int().min(0).max(1_000_000).default(500),
  })
  .meta({ title: "EvaluationSpec" });

/** One class of the label column, declared by the owner as public schema (never read off the rows). */
export const ZLabelSpec = z
  .object({
    value: z.string().min(1).max(200),
    /** Words a language model understands ("a positive review"); the default is the value itself. */
    description: z.string().min(1).max(500),
  })
  .meta({ title: "LabelSpec" });

/**
 * How a row becomes a prompt. Prompts are built from public inputs only: the subject, the label's description
 * and the column names. "chat" wraps the instruction in the model's chat template, "plain" writes it as a line
 * of text, "raw" is the bare label value (an ablation baseline); "auto" is "chat" for models with a chat
 * template and "plain" otherwise. Placeholders: {subject}, {labelColumn}, {label} (the description), {value}.
 */
export const ZPromptSpec = z
  .object({
    style: z.enum(["auto", "chat", "plain", "raw"]).default("auto"),
    instruction: z.string().min(1).max(2000).default("Write one {subject} ({labelColumn}: {label})."),
  })
  .meta({ title: "PromptSpec" });

/**
 * Where the label set comes from: "declared" by the owner as public schema at upload, or "dp-histogram", released
 * by the trainer from the training split with a thresholded noisy histogram charged to the ledger (labels held by
 * too few rows never appear in any output).
 */
export const ZLabelSource = z.enum(["declared", "dp-histogram"]).meta({ title: "LabelSource" });

export const ZDataSpec = z
  .object({
    /** Blob URIs (`file:///…` or `s3://…`) of the train and holdout splits, fixed at upload. */
    trainUri: z.string().min(1),
    holdoutUri: z.string().min(1),
    textColumn: z.string().min(1).max(200),
    labelColumn: z.string().min(1).max(200),
    labelSource: ZLabelSource.default("declared"),
    /**
     * The declared label set, in the owner's order: sampling and the DP label counts use exactly these. Empty when
     * `labelSource` is "dp-histogram": the trainer then uses only the labels its DP release lets through.
     */
    labels: z
      .array(ZLabelSpec)
      .max(200)
      .refine((labels) => new Set(labels.map((label) => label.value)).size === labels.length, {
        error: "label values must be unique",
      }),
    /** What one row is, in a few words ("movie review snippet", "support ticket"); public. */
    subject: z.string().min(1).max(200).default("record"),
    /** Other columns to synthesise, in this order before the text; the sampler writes their names itself. */
    columns: z.array(z.string().min(1).max(200)).max(50).default([]),
    /**
     * synthetic.csv's header: the text column, the label column and `columns`, each once, in the uploaded file's
     * order, so the synthetic file lines up with the owner's. Empty: text, label, then `columns`.
     */
    outputColumns: z.array(z.string().min(1).max(200)).max(52).default([]),
    /** Number of training rows, which bounds delta (delta < 1/n). */
    trainRows: z.int().min(1),
  })
  .meta({ title: "DataSpec" });

/**
 * The label-set rule, checked by zod in `labelSetRule` and by the trainer's JSON Schema validation in this form
 * (zod cannot emit a refinement; the contract fixtures pin that both agree): a declared set has at least two labels
 * and no label-set share; a DP-released one declares none, has its share and no separate label-count share (the
 * histogram's noisy counts are the label mix).
 */
const LABEL_SET_JSON_RULE = {
  if: {
    properties: { data: { properties: { labelSource: { const: "dp-histogram" } }, required: ["labelSource"] } },
    required: ["data"],
  },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword in a plain object, never awaited.
  then: {
    properties: {
      data: { properties: { labels: { maxItems: 0 } } },
      privacy: { properties: { labelSet: { type: "object" }, labelCounts: { type: "null" } }, required: ["labelSet"] },
    },
  },
  else: {
    properties: {
      data: { properties: { labels: { minItems: 2 } } },
      privacy: { properties: { labelSet: { type: "null" } } },
    },
  },
};

/** Everything a trainer needs to run one job; validated by the producer and again by the worker. */
export const ZJobSpec = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    jobId: z.string().min(1).max(64),
    datasetId: z.string().min(1).max(64),
    model: ZModelSpec,
    privacy: ZPrivacySpec,
    prompt: ZPromptSpec.prefault({}),
    training: ZTrainingSpec.prefault({}),
    sampling: ZSamplingSpec,
    evaluation: ZEvaluationSpec.prefault({}),
    data: ZDataSpec,
    /** Blob URI prefix under which the trainer writes checkpoints and artifacts for this job. */
    outputUri: z.string().min(1),
  })
  .superRefine((spec, ctx) => labelSetRule(spec.data, spec.privacy, ctx))
  .meta({ title: "JobSpec", ...LABEL_SET_JSON_RULE });

function labelSetRule(
  data: z.infer<typeof ZDataSpec>,
  privacy: z.infer<typeof ZPrivacySpec>,
  ctx: z.RefinementCtx,
): void {
  const issue = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
  if (data.labelSource === "declared") {
    if (data.labels.length < 2) issue(["data", "labels"], "declare at least two labels");
    if (privacy.labelSet !== null) issue(["privacy", "labelSet"], "only a label set released with DP has this share");
    return;
  }
  if (data.labels.length > 0) issue(["data", "labels"], "a label set released with DP declares no labels");
  if (privacy.labelSet === null) issue(["privacy", "labelSet"], "a label set released with DP needs its share");
  if (privacy.labelCounts !== null)
    issue(["privacy", "labelCounts"], "the label set's noisy counts are the label mix: no separate share");
}

export type TJobSpec = z.infer<typeof ZJobSpec>;
/** The spec as a producer may write it, before defaults are filled in. */
export type TJobSpecInput = z.input<typeof ZJobSpec>;
export type TModelSpec = z.infer<typeof ZModelSpec>;
export type TPrivacySpec = z.infer<typeof ZPrivacySpec>;
export type TSamplingSpec = z.infer<typeof ZSamplingSpec>;
export type TLabelMix = z.infer<typeof ZLabelMix>;
export type TLabelSpec = z.infer<typeof ZLabelSpec>;
export type TLabelSource = z.infer<typeof ZLabelSource>;
export type TPromptSpec = z.infer<typeof ZPromptSpec>;
