import { z } from "zod";
import { SCHEMA_VERSION } from "./queue.ts";
import { ZPrivacyMechanism, ZTrainingSummary } from "./trainer-events.ts";

const ZScore = z.object({ accuracy: z.number().min(0).max(1), macroF1: z.number().min(0).max(1) });

export const ZClassifierComparison = z.object({
  classifier: z.enum(["tfidf", "embedding", "transformer"]),
  /** Train-real-test-real. */
  real: ZScore,
  /** Train-synthetic-test-real. */
  synthetic: ZScore,
  /** synthetic / real, per score. */
  ratio: z.object({ accuracy: z.number().min(0), macroF1: z.number().min(0) }),
});

/** A classifier trained on the prior-only baseline's rows, tested on the same holdout. */
export const ZBaselineComparison = z.object({
  classifier: ZClassifierComparison.shape.classifier,
  synthetic: ZScore,
  /** baseline / real, per score. */
  ratio: z.object({ accuracy: z.number().min(0), macroF1: z.number().min(0) }),
});

/** The real-data classifier's agreement with the conditioning label, per classifier; `classifier` is the judge. */
const ZFaithfulness = z.object({
  classifier: z.string(),
  agreement: z.number().min(0).max(1),
  byClassifier: z.record(z.string(), z.number().min(0).max(1)),
});

/** The report's first words: a verdict from one rule (`verdict.py`), its reasons, and what to do next. */
export const ZReportSummary = z.object({
  verdict: z.enum(["useful", "weak", "not-useful", "no-rows"]),
  headline: z.string(),
  points: z.array(z.string()),
});

/** The evaluation report: reads the real holdout, so it is for the dataset owner and admins only. */
export const ZReport = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  jobId: z.string(),
  datasetId: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
  model: z.object({ id: z.string(), finetune: z.string() }),
  summary: ZReportSummary,
  /** The prompts the rows were conditioned on (public inputs only), one per label, as the model saw them. */
  prompt: z.object({
    style: z.enum(["chat", "plain", "raw"]),
    instruction: z.string(),
    examples: z.record(z.string(), z.string()),
  }),
  privacy: z.object({
    mechanisms: z.array(
      z.object({ mechanism: ZPrivacyMechanism, epsilon: z.number().min(0), delta: z.number().min(0) }),
    ),
    total: z.object({ epsilon: z.union([z.number().min(0), z.literal("inf")]), delta: z.number().min(0) }),
    training: ZTrainingSummary,
    /** Plain words: the guarantee, and that this report itself reads the real holdout. */
    statement: z.string(),
  }),
  data: z.object({
    trainRows: z.int().min(0),
    holdoutRows: z.int().min(0),
    labels: z.array(z.string()),
    /** Columns synthesised besides the text and the label, in order. */
    columns: z.array(z.string()),
    /** Training rows whose label is not in the declared set: not trained on. */
    rowsOutsideLabelSet: z.int().min(0),
  }),
  sampling: z.object({
    requested: z.int().min(0),
    /** Candidate rows generated, accepted or not. */
    generated: z.int().min(0),
    /** Rows delivered in synthetic.csv. */
    parsed: z.int().min(0),
    /** Candidates with an empty value (never written to the file). */
    failedToParse: z.int().min(0),
    /** Candidates the re-scoring judged closer to another label (never written to the file). */
    rejected: z.int().min(0),
    /** parsed / generated. */
    acceptanceRate: z.number().min(0).max(1),
    /** requested - parsed: rows that could not be delivered within the candidate budget. */
    shortfall: z.int().min(0),
    guidance: z.number().min(0),
    rescoring: z.boolean(),
    minPosterior: z.number().min(0).max(1),
    /** Rows delivered below minPosterior (own label still the likeliest), because too few candidates passed it. */
    belowThreshold: z.int().min(0),
    labelMix: z.record(z.string(), z.number().min(0)),
    /** "exact-counts" only in a non-private run (epsilon "inf") that was given no label-count share. */
    /** "dp-label-set": the noisy counts of the DP label-set release, reused for free. */
    labelMixSource: z.enum(["dp-counts", "dp-label-set", "exact-counts", "uniform", "custom"]),
  }),
  utility: z.array(ZClassifierComparison),
  labelFaithfulness: ZFaithfulness,
  /**
   * The prior-only baseline: the untrained model, same prompts and post-processing, epsilon 0; null when it was
   * not run (evaluation.baselineRows 0).
   */
  baseline: z
    .object({
      rows: z.int().min(0),
      acceptanceRate: z.number().min(0).max(1),
      utility: z.array(ZBaselineComparison),
      labelFaithfulness: ZFaithfulness,
    })
    .nullable(),
  fidelity: z.object({
    labelBalance: z.object({
      real: z.record(z.string(), z.number()),
      synthetic: z.record(z.string(), z.number()),
      totalVariation: z.number().min(0).max(1),
    }),
    length: z.object({
      realMean: z.number(),
      syntheticMean: z.number(),
      /** Kolmogorov-Smirnov statistic between the word-length distributions. */
      ks: z.number().min(0).max(1),
      realHistogram: z.array(z.int()),
      syntheticHistogram: z.array(z.int()),
      binEdges: z.array(z.number()),
    }),
    /** Jensen-Shannon distance (base 2) between the word 1- and 2-gram frequencies of train and synthetic rows. */
    ngramJensenShannon: z.number().min(0).max(1),
    /** MMD (RBF kernel, median-distance bandwidth) between sentence embeddings; null when no encoder ran. */
    embeddingDistance: z.number().min(0).nullable(),
  }),
  privacyDiagnostics: z.object({
    /** Synthetic rows equal to a training row after lower-casing and collapsing whitespace. */
    exactCopies: z.int().min(0),
    /** Other synthetic rows whose word-set Jaccard similarity to some training row is at least the threshold. */
    nearCopies: z.int().min(0),
    nearCopyThreshold: z.number(),
    /** Medians of the TF-IDF cosine distance to the closest training row. */
    dcr: z.object({ syntheticToTrainMedian: z.number(), holdoutToTrainMedian: z.number() }),
    membershipInferenceAuc: z.number().min(0).max(1).nullable(),
  }),
  /** Training loss per logical step, with the epsilon spent by then (null in a non-private run). */
  curve: z.array(z.object({ step: z.int(), epsilon: z.number().nullable(), loss: z.number() })),
  /** Synthetic rows only (never real ones), up to five per label. */
  examples: z.record(z.string(), z.array(z.string())),
  /** What was skipped or degraded and why (a CUDA-only classifier on a CPU run, an encoder that failed to load). */
  notes: z.array(z.string()),
});

export type TReport = z.infer<typeof ZReport>;
export type TClassifierComparison = z.infer<typeof ZClassifierComparison>;
