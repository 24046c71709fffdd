"use client";

import { MODEL_CATALOG } from "@dpsynth/contracts";
import { Field } from "@/components/ui/field";
import { formatParameters } from "@/components/ui/format";
import { useTrainers } from "@/modules/trainers/hooks/use-trainers";

export const CUSTOM_MODEL = "__custom__";

/** Catalog models the dashboard offers: tiny random models for tests are never among them (the API takes them). */
export const OFFERED_MODELS = MODEL_CATALOG.filter((model) => !model.forTests);

/** The catalog as cards (what runs on a CPU, what needs a GPU), plus any Hugging Face id or local path. */
export function ModelPicker({
  value,
  customId,
  onChange,
  onCustomIdChange,
  error,
}: {
  value: string;
  customId: string;
  onChange: (key: string) => void;
  onCustomIdChange: (id: string) => void;
  /** What is wrong with the typed model id. */
  error?: string;
}) {
  // Which models the trainers online cannot run (the server's capacity rule); unknown while loading or failing.
  const capacity = useTrainers().data?.models;
  return (
    <fieldset>
      <legend className="visually-hidden">Model</legend>
      <div className="choice-grid" role="radiogroup" aria-label="Model">
        {OFFERED_MODELS.map((model) => {
          const verdict = capacity?.[model.key];
          const blocked = verdict?.verdict === "blocked";
          return (
            <label key={model.key} className="choice" data-capacity={verdict?.verdict}>
              <input
                type="radio"
                name="model"
                value={model.key}
                checked={value === model.key}
                onChange={() => onChange(model.key)}
              />
              <span className="spread">
                <span className="choice-title mono">{model.key}</span>
                <span className={`badge plain ${model.runsOn === "cpu" ? "badge-success" : "badge-warning"}`}>
                  {model.runsOn === "cpu" ? "CPU ok" : "needs GPU"}
                </span>
              </span>
              <span className="choice-meta">{model.label}</span>
              <span className="choice-meta">
                {formatParameters(model.parameters)} parameters · {model.defaultFinetune.toUpperCase()}
                {model.source === "hub"
                  ? " · downloaded from the Hub"
                  : model.source === "package"
                    ? " · ships offline"
                    : " · built from a config"}
              </span>
              {blocked && (
                <span className="choice-meta" data-testid="model-cannot-run">
                  <span className="badge plain badge-danger">cannot run here</span> {verdict.message}
                </span>
              )}
            </label>
          );
        })}
        <label className="choice">
          <input
            type="radio"
            name="model"
            value={CUSTOM_MODEL}
            checked={value === CUSTOM_MODEL}
            onChange={() => onChange(CUSTOM_MODEL)}
          />
          <span className="choice-title">Other model</span>
          <span className="choice-meta">Any Hugging Face causal LM id, or a local directory on the trainer.</span>
        </label>
      </div>
      {value === CUSTOM_MODEL && (
        <Field
          id="custom-model-id"
          label="Hugging Face model id"
          style={{ marginTop: 12 }}
          error={error}
          hint="The trainer must be able to reach the Hub or find the weights in its model cache. Large models need a GPU."
        >
          {(control) => (
            <input
              {...control}
              className="input mono"
              placeholder="e.g. EleutherAI/pythia-160m"
              value={customId}
              maxLength={300}
              onChange={(event) => onCustomIdChange(event.target.value)}
            />
          )}
        </Field>
      )}
    </fieldset>
  );
}
