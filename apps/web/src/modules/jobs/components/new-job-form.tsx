"use client";

import { PRESETS, type TPresetName } from "@dpsynth/contracts";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import type { TQuoteWire } from "@/components/api/wire-types";
import { useDebouncedValue } from "@/components/hooks/use-debounced-value";
import { Field } from "@/components/ui/field";
import { deltaInputText, formatInteger } from "@/components/ui/format";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorAlert, ErrorState, LoadingState } from "@/components/ui/states";
import { useDatasets } from "@/modules/datasets/hooks/use-datasets";
import { datasetOption } from "@/modules/datasets/lib/dataset-facts";
import { type TCreateJobInput, useCreateJob, useJobQuote } from "../hooks/use-jobs";
import { EMPTY_PROMPT_TEXT, promptRequest, type TPromptText } from "../lib/prompt-request";
import { requestWarnings } from "../lib/request-warnings";
import { HyperparameterFields, hyperparametersOf, type THyperparameterText } from "./hyperparameter-fields";
import { CUSTOM_MODEL, ModelPicker } from "./model-picker";
import { PromptFields } from "./prompt-fields";
import { QuotePanel } from "./quote-panel";

/** The presets the dashboard offers: those meant for tests (tiny random models) never are. */
export const OFFERED_PRESETS = (Object.keys(PRESETS) as TPresetName[]).filter((name) => !PRESETS[name].forTests);
const DEFAULT_PRESET: TPresetName = "cpu";

function presetValues(name: TPresetName) {
  const preset = PRESETS[name];
  return {
    model: preset.model.id,
    epsilon: preset.privacy.epsilon,
    rows: preset.sampling.rows,
  };
}

/** The request form: dataset, preset, model, ε, δ and rows, with the quote shown before submitting. */
export function NewJobForm({ initialDatasetId }: { initialDatasetId?: string }) {
  const router = useRouter();
  const datasets = useDatasets();
  const createJob = useCreateJob();
  const initial = presetValues(DEFAULT_PRESET);
  const [datasetId, setDatasetId] = useState(initialDatasetId ?? "");
  const [preset, setPreset] = useState<TPresetName>(DEFAULT_PRESET);
  const [hyperText, setHyperText] = useState<THyperparameterText>({});
  const [promptText, setPromptText] = useState<TPromptText>(EMPTY_PROMPT_TEXT);
  const [model, setModel] = useState(initial.model);
  const [customModel, setCustomModel] = useState("");
  const [epsilon, setEpsilon] = useState(String(initial.epsilon));
  // Empty means the server's default: the preset's delta, capped at a tenth of the dataset's delta budget.
  const [delta, setDelta] = useState("");
  const [rows, setRows] = useState(String(initial.rows));

  // A stale or foreign id in the link falls back to choosing (or to the only dataset there is).
  const known = datasets.data?.some((candidate) => candidate.id === datasetId);
  const selectedDatasetId = known ? datasetId : datasets.data?.length === 1 ? (datasets.data[0]?.id ?? "") : "";
  const dataset = datasets.data?.find((candidate) => candidate.id === selectedDatasetId);

  function choosePreset(choice: TPresetName) {
    setPreset(choice);
    const values = presetValues(choice);
    setModel(values.model);
    setEpsilon(String(values.epsilon));
    setRows(String(values.rows));
  }

  const modelId = model === CUSTOM_MODEL ? customModel.trim() : model;
  const epsilonValue = Number(epsilon);
  const deltaValue = delta.trim() === "" ? undefined : Number(delta);
  const rowsValue = Number(rows);
  const problems: Record<string, string> = {};
  if (!(epsilonValue > 0)) problems.epsilon = "Enter an epsilon above 0.";
  // An empty delta is the server's to choose (the quote says which); a typed one is checked here first.
  if (deltaValue !== undefined && !(deltaValue > 0 && deltaValue < 1)) {
    problems.delta = "Delta is a probability below 1, e.g. 1e-6.";
  } else if (deltaValue !== undefined && dataset && deltaValue >= 1 / dataset.trainRows) {
    problems.delta = `Delta should be well below 1 / ${formatInteger(dataset.trainRows)} training rows.`;
  }
  if (!(Number.isInteger(rowsValue) && rowsValue >= 1)) problems.rows = "Enter a whole number of rows, at least 1.";
  if (!modelId) problems.model = "Enter a model id.";
  const hyperparameters = hyperparametersOf(hyperText);
  const hyperparameterProblems = Object.values(hyperparameters.problems);
  if (hyperparameterProblems.length) problems.hyperparameters = hyperparameterProblems.join(" ");
  const { problem: promptProblem, ...promptFields } = promptRequest(dataset, promptText);
  if (promptProblem) problems.prompt = promptProblem;

  const request: TCreateJobInput | null =
    selectedDatasetId && Object.keys(problems).length === 0
      ? {
          datasetId: selectedDatasetId,
          model: modelId,
          epsilon: epsilonValue,
          ...(deltaValue === undefined ? {} : { delta: deltaValue }),
          syntheticRows: rowsValue,
          preset,
          ...(hyperparameters.value ? { hyperparameters: hyperparameters.value } : {}),
          ...promptFields,
        }
      : null;
  const debouncedRequest = useDebouncedValue(request);
  const quote = useJobQuote(debouncedRequest);
  // A blocked form (no request) has no current quote: the last one's answer, kept as placeholder, is stale.
  const quoteIsCurrent = request !== null && JSON.stringify(debouncedRequest) === JSON.stringify(request);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!request) return;
    createJob.mutate(request, { onSuccess: (job) => router.push(`/jobs/${job.id}`) });
  }

  if (datasets.isPending) {
    return (
      <div className="page">
        <PageHeader title="New job" />
        <div className="card">
          <LoadingState label="Loading your datasets" />
        </div>
      </div>
    );
  }
  if (datasets.isError) {
    return (
      <div className="page">
        <PageHeader title="New job" />
        <div className="card">
          <ErrorState error={datasets.error} onRetry={() => datasets.refetch()} />
        </div>
      </div>
    );
  }
  if (datasets.data.length === 0) {
    return (
      <div className="page">
        <PageHeader title="New job" />
        <div className="card">
          <EmptyState
            icon="upload"
            title="Upload a dataset first"
            action={
              <Link className="btn btn-primary" href="/datasets/new">
                Upload data
              </Link>
            }
          >
            A job trains on one of your datasets.
          </EmptyState>
        </div>
      </div>
    );
  }

  // The last quote's answer stays on screen while a new one loads, but never for a request the form cannot send.
  const outcome = request && quoteIsCurrent ? quote.data?.outcome : undefined;
  const submitLabel = outcome === "needs-approval" ? "Request approval" : "Start job";
  const blockers = [...(selectedDatasetId ? [] : ["Choose a dataset."]), ...Object.values(problems)];
  const warnings =
    dataset && !blockers.length
      ? requestWarnings({
          trainRows: dataset.trainRows,
          preset,
          logicalBatchSize: numberOrUndefined(hyperparameters.value?.training?.logicalBatchSize),
          maxSeqLen: numberOrUndefined(hyperparameters.value?.training?.maxSeqLen),
          maxNewTokens: numberOrUndefined(hyperparameters.value?.sampling?.maxNewTokens),
          syntheticRows: rowsValue,
          rowWork: quoteIsCurrent ? quote.data?.rowWork : undefined,
          textColumn: dataset.textColumn,
        })
      : [];
  const blockedBecause = submitBlockedBecause({
    blockers,
    outcome,
    capacity: quoteIsCurrent ? quote.data?.capacity : undefined,
    pending: createJob.isPending,
    quoteFailed: quote.isError,
  });
  return (
    <div className="page">
      <PageHeader
        title="New job"
        subtitle="Fine-tune a language model on your data with differential privacy, then generate synthetic rows."
        crumbs={
          dataset ? [{ href: `/datasets/${dataset.id}`, label: dataset.name }] : [{ href: "/", label: "Overview" }]
        }
      />
      <form className="grid grid-main" onSubmit={onSubmit} aria-label="New job" noValidate>
        <div className="stack" style={{ gap: 16 }}>
          <Card title="Data and starting point" labelledBy="job-data">
            <div className="form">
              <Field id="job-dataset" label="Dataset">
                {(control) => (
                  <select
                    {...control}
                    className="select"
                    value={selectedDatasetId}
                    onChange={(event) => setDatasetId(event.target.value)}
                  >
                    <option value="" disabled>
                      Choose a dataset
                    </option>
                    {datasets.data.map((candidate) => (
                      <option key={candidate.id} value={candidate.id}>
                        {datasetOption(candidate)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <fieldset>
                <legend>Preset</legend>
                <div className="choice-grid" role="radiogroup" aria-label="Preset">
                  {OFFERED_PRESETS.map((name) => (
                    <label key={name} className="choice">
                      <input
                        type="radio"
                        name="preset"
                        value={name}
                        checked={preset === name}
                        onChange={() => choosePreset(name)}
                      />
                      <span className="choice-title">{PRESETS[name].label}</span>
                      <span className="choice-meta">{PRESETS[name].description}</span>
                    </label>
                  ))}
                </div>
              </fieldset>
              <HyperparameterFields
                preset={preset}
                text={hyperText}
                onChange={setHyperText}
                problems={hyperparameters.problems}
              />
            </div>
          </Card>

          <Card title="Privacy and output" labelledBy="job-privacy">
            <div className="form">
              <Field
                id="job-epsilon"
                label="Epsilon (ε)"
                error={problems.epsilon}
                hint="How much any single row can change what the model learns: lower ε is stronger privacy but noisier training and weaker synthetic text (1 is strict, 8 is common)."
              >
                {(control) => (
                  <input
                    {...control}
                    className="input num"
                    type="number"
                    inputMode="decimal"
                    min={0.01}
                    step="any"
                    value={epsilon}
                    onChange={(event) => setEpsilon(event.target.value)}
                  />
                )}
              </Field>
              <div className="grid grid-2">
                <Field
                  id="job-delta"
                  label="Delta (δ)"
                  error={problems.delta}
                  hint="The small chance the ε guarantee does not hold. Leave it empty for the default, a tenth of the dataset's δ budget at most."
                >
                  {(control) => (
                    <input
                      {...control}
                      className="input num"
                      inputMode="decimal"
                      value={delta}
                      placeholder={
                        quote.data && quoteIsCurrent
                          ? `${deltaInputText(quote.data.requested.delta)} (default)`
                          : "default"
                      }
                      onChange={(event) => setDelta(event.target.value)}
                    />
                  )}
                </Field>
                <Field
                  id="job-rows"
                  label="Rows to generate"
                  error={problems.rows}
                  hint="Generating more rows costs time, not privacy."
                >
                  {(control) => (
                    <input
                      {...control}
                      className="input num"
                      type="number"
                      inputMode="numeric"
                      min={1}
                      step={1}
                      value={rows}
                      onChange={(event) => setRows(event.target.value)}
                    />
                  )}
                </Field>
              </div>
            </div>
          </Card>
          {dataset && (dataset.labels.length >= 2 || dataset.labelSource === "dp-histogram") && (
            <Card title="Labels and prompt" labelledBy="job-prompt">
              {dataset.labelSource === "dp-histogram" && (
                <p data-testid="dp-label-set-note">
                  This dataset declares no labels: the job finds them in the training rows with differential privacy,
                  paid from its ε (the quote shows the share). Labels held by too few rows are left out of every output;
                  each released label is described by its own value.
                </p>
              )}
              <PromptFields dataset={dataset} text={promptText} onChange={setPromptText} problem={problems.prompt} />
            </Card>
          )}
          {dataset && dataset.labelSource === "declared" && dataset.labels.length < 2 && (
            <div className="alert alert-warning" role="alert">
              This dataset has no declared label set (it was uploaded before owners declared labels): upload the file
              again to run jobs on it.
            </div>
          )}
          <Card title="Model" labelledBy="job-model">
            <ModelPicker
              value={model}
              customId={customModel}
              onChange={setModel}
              onCustomIdChange={setCustomModel}
              error={customModel !== "" ? problems.model : undefined}
            />
          </Card>
        </div>

        <aside className="stack" style={{ gap: 16, position: "sticky", top: 16 }} aria-label="Before you submit">
          <Card title="Before you submit" labelledBy="job-quote">
            <div className="stack">
              <QuotePanel
                quote={quote.data}
                loading={quote.isFetching || !quoteIsCurrent}
                error={request ? quote.error : null}
                blockers={blockers}
              />
              {warnings.length > 0 && (
                <div className="alert alert-info" role="status" data-testid="request-warnings">
                  <ul className="alert-list">
                    {warnings.map((warning) => (
                      <li key={warning}>{warning}</li>
                    ))}
                  </ul>
                </div>
              )}
              <ErrorAlert error={createJob.error} title="The request was refused" />
              <button
                type="submit"
                className="btn btn-primary"
                disabled={blockedBecause !== null}
                aria-describedby={blockedBecause ? "job-submit-reason" : undefined}
              >
                {createJob.isPending && <span className="spinner" aria-hidden="true" />}
                {submitLabel}
              </button>
              {blockedBecause && (
                <p id="job-submit-reason" className="muted" style={{ fontSize: 12.5 }} data-testid="submit-reason">
                  {blockedBecause}
                </p>
              )}
            </div>
          </Card>
        </aside>
      </form>
    </div>
  );
}

/** Why the submit button is disabled, in words, or null when it is not. */
function submitBlockedBecause({
  blockers,
  outcome,
  capacity,
  pending,
  quoteFailed,
}: {
  blockers: string[];
  outcome: TQuoteWire["outcome"] | undefined;
  capacity: TQuoteWire["capacity"] | undefined;
  pending: boolean;
  quoteFailed: boolean;
}): string | null {
  if (pending) return "Submitting…";
  if (blockers.length) return "Fix what the panel above lists first.";
  // No trainer online only warns (the job waits for one); trainers online that cannot run the model block, and
  // that comes before the budget: no ε makes the model run here.
  if (capacity?.verdict === "blocked") return "None of the trainers online can run this model: choose another one.";
  if (outcome === "over-budget")
    return "This request exceeds the dataset's budget: lower ε, or ask an admin to raise it.";
  // A quote that could not be fetched does not block: the server checks the request again when it is submitted.
  if (!outcome && !quoteFailed) return "Checking the request…";
  return null;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}
