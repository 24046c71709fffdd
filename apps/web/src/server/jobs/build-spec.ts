import { PRESETS, SCHEMA_VERSION, type TJobSpec, ZJobSpec } from "@dpsynth/contracts";
import type { BlobStore } from "@dpsynth/datasets";
import { AppError } from "../http/errors.ts";
import { resolveModel } from "./model-id.ts";
import type { TCreateJob } from "./schemas.ts";

/** Share of a job's epsilon and delta spent on the DP label counts that set the synthetic label mix. */
export const LABEL_COUNTS_SHARE = 0.05;

/** The dataset fields a spec is built from. */
export const SPEC_DATASET_SELECT = {
  id: true,
  textColumn: true,
  labelColumn: true,
  trainRows: true,
  trainBlobKey: true,
  holdoutBlobKey: true,
  labelCounts: true,
  /** The delta budget of the dataset's ledger (shared by every upload of the same file). */
  ledger: { select: { deltaTotal: true } },
} as const;

export type TSpecDataset = {
  [K in keyof typeof SPEC_DATASET_SELECT]: K extends "labelCounts"
    ? unknown
    : K extends "ledger"
      ? { deltaTotal: number }
      : K extends "trainRows"
        ? number
        : string;
};

/**
 * The job's delta: the owner's, else the preset's capped at a tenth of the dataset's delta budget (so one
 * job does not take it all). Either way it must stay below 1/n, or DP would allow releasing a whole record.
 */
export function jobDelta(request: TCreateJob, dataset: TSpecDataset): number {
  const fallback = Number(
    Math.min(PRESETS[request.preset].privacy.delta, dataset.ledger.deltaTotal / 10).toPrecision(6),
  );
  const delta = request.delta ?? fallback;
  if (delta >= 1 / dataset.trainRows) {
    throw new AppError(
      "validation_failed",
      `delta must be below 1/n = ${(1 / dataset.trainRows).toExponential(2)} for ${dataset.trainRows} training rows.`,
    );
  }
  return delta;
}

function checkLabelMix(request: TCreateJob, dataset: TSpecDataset): void {
  if (request.labelMix.kind !== "custom") return;
  const labels = new Set(Object.keys(dataset.labelCounts as Record<string, number>));
  const unknown = Object.keys(request.labelMix.weights).filter((label) => !labels.has(label));
  if (unknown.length) {
    throw new AppError(
      "validation_failed",
      `labelMix.weights names ${unknown.length} label(s) the dataset does not have.`,
    );
  }
}

/**
 * The full job spec: the preset, then the caller's overrides, then what the platform fixes (ids, data
 * locations, the privacy split), validated by the contract. The split of epsilon between the DP label
 * counts and training is written into the spec, so the trainer and the ledger read the same numbers.
 */
export function buildSpec(
  request: TCreateJob,
  { dataset, jobId, blobs }: { dataset: TSpecDataset; jobId: string; blobs: BlobStore },
): TJobSpec {
  const model = resolveModel(request.model);
  checkLabelMix(request, dataset);
  const preset = PRESETS[request.preset];
  const overrides = request.hyperparameters ?? {};
  const delta = jobDelta(request, dataset);
  const labelCounts =
    request.labelMix.kind === "dp-counts"
      ? { epsilon: request.epsilon * LABEL_COUNTS_SHARE, delta: delta * LABEL_COUNTS_SHARE }
      : null;
  const parsed = ZJobSpec.safeParse({
    schemaVersion: SCHEMA_VERSION,
    jobId,
    datasetId: dataset.id,
    model: {
      ...(model.kind === "catalog" ? { finetune: model.entry.defaultFinetune } : {}),
      ...overrides.model,
      id: request.model,
    },
    privacy: {
      maxGradNorm: preset.privacy.maxGradNorm,
      ...overrides.privacy,
      epsilon: request.epsilon,
      delta,
      labelCounts,
    },
    training: { ...preset.training, ...overrides.training },
    sampling: { ...preset.sampling, ...overrides.sampling, rows: request.syntheticRows, labelMix: request.labelMix },
    evaluation: overrides.evaluation ?? {},
    data: {
      trainUri: blobs.uri(dataset.trainBlobKey),
      holdoutUri: blobs.uri(dataset.holdoutBlobKey),
      textColumn: dataset.textColumn,
      labelColumn: dataset.labelColumn,
      trainRows: dataset.trainRows,
    },
    outputUri: blobs.uri(`jobs/${jobId}`),
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new AppError("validation_failed", `The job spec is invalid: ${issues.join("; ")}.`);
  }
  return parsed.data;
}
