import { PRESETS, SCHEMA_VERSION, type TJobSpec, type TLabelSpec, ZJobSpec } from "@dpsynth/contracts";
import type { BlobStore } from "@dpsynth/datasets";
import { PROMPT_PLACEHOLDERS, unknownPlaceholders } from "../../lib/prompt-template.ts";
import { AppError } from "../http/errors.ts";
import { resolveModel } from "./model-id.ts";
import type { TCreateJob } from "./schemas.ts";

/** Share of a job's epsilon and delta spent on the DP label counts that set the synthetic label mix. */
export const LABEL_COUNTS_SHARE = 0.05;

/**
 * Share of a job's epsilon and delta spent releasing the label set of a dataset whose owner did not declare it
 * (a thresholded noisy histogram whose counts also give the label mix). Larger than the counts' share: the
 * threshold a label must clear grows as the share shrinks.
 */
export const LABEL_SET_SHARE = 0.1;

/**
 * The dataset fields a spec is built from: public schema and blob locations. The exact label counts are not
 * among them, so nothing read off the rows can reach a spec.
 */
export const SPEC_DATASET_SELECT = {
  id: true,
  textColumn: true,
  labelColumn: true,
  labels: true,
  labelSource: true,
  subject: true,
  syntheticColumns: true,
  columns: true,
  trainRows: true,
  trainRowsOutsideLabels: true,
  trainBlobKey: true,
  holdoutBlobKey: true,
  /** The delta budget of the dataset's ledger (shared by every upload of the same file). */
  ledger: { select: { deltaTotal: true } },
} as const;

export interface TSpecDataset {
  id: string;
  textColumn: string;
  labelColumn: string;
  labels: unknown;
  labelSource: string;
  subject: string;
  syntheticColumns: unknown;
  /** Every uploaded column, in the file's order ({ name, ... }). */
  columns: unknown;
  trainRows: number;
  trainRowsOutsideLabels: number;
  trainBlobKey: string;
  holdoutBlobKey: string;
  ledger: { deltaTotal: number };
}

/** Training rows the trainer learns from: those whose label is declared. */
export function trainedRows(dataset: TSpecDataset): number {
  return dataset.trainRows - dataset.trainRowsOutsideLabels;
}

/**
 * The job's delta: the owner's, else the preset's capped at a tenth of the dataset's delta budget (so one
 * job does not take it all). Either way it must stay below 1/n, or DP would allow releasing a whole record.
 */
export function jobDelta(request: TCreateJob, dataset: TSpecDataset): number {
  const fallback = Number(
    Math.min(PRESETS[request.preset].privacy.delta, dataset.ledger.deltaTotal / 10).toPrecision(6),
  );
  const delta = request.delta ?? fallback;
  const n = trainedRows(dataset);
  if (delta >= 1 / n) {
    throw new AppError(
      "validation_failed",
      `delta must be below 1/n = ${(1 / n).toExponential(2)} for ${n} training rows.`,
    );
  }
  return delta;
}

const quoted = (values: readonly string[]) => values.map((value) => JSON.stringify(value)).join(", ");

/** Refuses keys of `field` that are not declared labels (declared labels are public, so naming them is safe). */
function checkDeclared(field: string, keys: string[], declared: readonly TLabelSpec[]): void {
  const values = new Set(declared.map((label) => label.value));
  const unknown = keys.filter((key) => !values.has(key));
  if (unknown.length) {
    throw new AppError(
      "validation_failed",
      `${field} names ${unknown.length === 1 ? "a label" : "labels"} this dataset does not declare: ${quoted(unknown)}. Its labels are ${quoted([...values])}.`,
    );
  }
}

/**
 * A dataset whose label set each job releases with DP has no labels anyone may name: descriptions and custom mix
 * weights would have to name labels nobody declared.
 */
function checkNothingNamed(request: TCreateJob): void {
  const named = [
    ...(Object.keys(request.labelDescriptions ?? {}).length ? ["labelDescriptions"] : []),
    ...(request.labelMix.kind === "custom" ? ["a custom labelMix"] : []),
  ];
  if (named.length) {
    throw new AppError(
      "validation_failed",
      `This dataset's labels are found with differential privacy when the job runs, so ${named.join(" and ")} cannot name any: use a dp-counts or uniform label mix, or upload the file again and declare its labels.`,
    );
  }
}

/** The dataset's declared labels with this job's description edits; none for a label set released with DP. */
function declaredLabels(request: TCreateJob, dataset: TSpecDataset): TLabelSpec[] {
  if (dataset.labelSource === "dp-histogram") {
    checkNothingNamed(request);
    return [];
  }
  const labels = dataset.labels as TLabelSpec[];
  if (labels.length < 2) {
    throw new AppError(
      "validation_failed",
      "This dataset was uploaded before label sets were declared, so it has none: upload the file again and declare its labels.",
    );
  }
  const descriptions = request.labelDescriptions ?? {};
  checkDeclared("labelDescriptions", Object.keys(descriptions), labels);
  // One rule for the label mix, whoever asks (the quote builds the spec too): declared labels only.
  if (request.labelMix.kind === "custom")
    checkDeclared("labelMix.weights", Object.keys(request.labelMix.weights), labels);
  return labels.map((label) => ({ value: label.value, description: descriptions[label.value] ?? label.description }));
}

function checkInstruction(instruction: string | undefined): void {
  const unknown = instruction === undefined ? [] : unknownPlaceholders(instruction);
  if (unknown.length) {
    throw new AppError(
      "validation_failed",
      `prompt.instruction uses ${unknown.map((name) => `{${name}}`).join(", ")}, which the trainer does not fill; the placeholders are ${PROMPT_PLACEHOLDERS.map((name) => `{${name}}`).join(", ")}.`,
    );
  }
}

/** The preset's LoRA settings (SmolLM2's CPU preset adapts only the last layers), under the owner's overrides. */
/** The synthesised columns (text, label, the others chosen) in the order the uploaded file has them. */
export function outputColumns(
  dataset: Pick<TSpecDataset, "textColumn" | "labelColumn" | "syntheticColumns" | "columns">,
) {
  const chosen = new Set([dataset.textColumn, dataset.labelColumn, ...(dataset.syntheticColumns as string[])]);
  return (dataset.columns as { name: string }[]).map((column) => column.name).filter((name) => chosen.has(name));
}

function loraOf(request: TCreateJob): Record<string, unknown> {
  const preset = PRESETS[request.preset].model;
  return { ...("lora" in preset ? preset.lora : {}), ...(request.hyperparameters?.model?.lora as object | undefined) };
}

/**
 * What the label releases take of the job's (epsilon, delta): the label set's share when the trainer releases it
 * (its noisy counts are the mix too), else the label counts' share when the mix is DP counts. The rest is training's.
 */
function labelShares(request: TCreateJob, dataset: TSpecDataset, delta: number) {
  const share = (fraction: number) => ({ epsilon: request.epsilon * fraction, delta: delta * fraction });
  if (dataset.labelSource === "dp-histogram") return { labelCounts: null, labelSet: share(LABEL_SET_SHARE) };
  return { labelCounts: request.labelMix.kind === "dp-counts" ? share(LABEL_COUNTS_SHARE) : null, labelSet: null };
}

/**
 * The full job spec: the preset, then the caller's overrides, then what the platform fixes (ids, data
 * locations, the declared schema, the privacy split), validated by the contract. The split of epsilon between the
 * DP label counts and training is written into the spec, so the trainer and the ledger read the same numbers.
 * The quote builds it too, so a request is judged by one set of rules whether it is quoted or made.
 */
export function buildSpec(
  request: TCreateJob,
  { dataset, jobId, blobs }: { dataset: TSpecDataset; jobId: string; blobs: BlobStore },
): TJobSpec {
  const model = resolveModel(request.model);
  const labels = declaredLabels(request, dataset);
  checkInstruction(request.prompt?.instruction as string | undefined);
  const preset = PRESETS[request.preset];
  const overrides = request.hyperparameters ?? {};
  const delta = jobDelta(request, dataset);
  const shares = labelShares(request, dataset, delta);
  const parsed = ZJobSpec.safeParse({
    schemaVersion: SCHEMA_VERSION,
    jobId,
    datasetId: dataset.id,
    model: {
      ...(model.kind === "catalog" ? { finetune: model.entry.defaultFinetune } : {}),
      ...overrides.model,
      lora: loraOf(request),
      id: request.model,
    },
    privacy: {
      maxGradNorm: preset.privacy.maxGradNorm,
      ...overrides.privacy,
      epsilon: request.epsilon,
      delta,
      ...shares,
    },
    prompt: request.prompt ?? {},
    training: { ...preset.training, ...overrides.training },
    sampling: { ...preset.sampling, ...overrides.sampling, rows: request.syntheticRows, labelMix: request.labelMix },
    evaluation: overrides.evaluation ?? {},
    data: {
      trainUri: blobs.uri(dataset.trainBlobKey),
      holdoutUri: blobs.uri(dataset.holdoutBlobKey),
      textColumn: dataset.textColumn,
      labelColumn: dataset.labelColumn,
      labelSource: dataset.labelSource,
      labels,
      subject: dataset.subject,
      columns: dataset.syntheticColumns,
      outputColumns: outputColumns(dataset),
      trainRows: trainedRows(dataset),
    },
    outputUri: blobs.uri(`jobs/${jobId}`),
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new AppError("validation_failed", `The job spec is invalid: ${issues.join("; ")}.`);
  }
  return parsed.data;
}
