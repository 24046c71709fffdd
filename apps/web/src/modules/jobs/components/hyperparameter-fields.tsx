"use client";

import { PRESETS, type TPresetName } from "@dpsynth/contracts";
import type { z } from "zod";
import type { ZHyperparameters } from "@/server/jobs/schemas";

export type THyperparameters = z.input<typeof ZHyperparameters>;

/** One overridable field: where it goes in the request and the preset value it replaces. */
type TField = {
  id: string;
  label: string;
  hint: string;
  section: "training" | "privacy" | "sampling";
  key: string;
  integer?: boolean;
  presetValue: (preset: TPresetName) => number;
};

const FIELDS: TField[] = [
  {
    id: "hp-epochs",
    label: "Epochs",
    hint: "More epochs take more steps, so the same ε buys more noise per step.",
    section: "training",
    key: "epochs",
    presetValue: (preset) => PRESETS[preset].training.epochs,
  },
  {
    id: "hp-learning-rate",
    label: "Learning rate",
    hint: "AdamW's step size.",
    section: "training",
    key: "learningRate",
    presetValue: (preset) => PRESETS[preset].training.learningRate,
  },
  {
    id: "hp-batch",
    label: "Logical batch size",
    hint: "Rows per DP-SGD step; larger batches need less noise per row.",
    section: "training",
    key: "logicalBatchSize",
    integer: true,
    presetValue: (preset) => PRESETS[preset].training.logicalBatchSize,
  },
  {
    id: "hp-seq-len",
    label: "Max sequence length (tokens)",
    hint: "Longer rows are cut to this length.",
    section: "training",
    key: "maxSeqLen",
    integer: true,
    presetValue: (preset) => PRESETS[preset].training.maxSeqLen,
  },
  {
    id: "hp-clip",
    label: "Clipping norm",
    hint: "Each row's gradient is clipped to this norm before noise is added.",
    section: "privacy",
    key: "maxGradNorm",
    presetValue: (preset) => PRESETS[preset].privacy.maxGradNorm,
  },
  {
    id: "hp-new-tokens",
    label: "Max new tokens per row",
    hint: "How long a generated row may get.",
    section: "sampling",
    key: "maxNewTokens",
    integer: true,
    presetValue: (preset) => PRESETS[preset].sampling.maxNewTokens,
  },
];

export type THyperparameterText = Record<string, string>;

/** Overrides the owner typed, as the API's `hyperparameters`; empty fields keep the preset's value. */
export function hyperparametersOf(text: THyperparameterText): { value?: THyperparameters; problems: string[] } {
  const value: Record<string, Record<string, number>> = {};
  const problems: string[] = [];
  for (const field of FIELDS) {
    const raw = text[field.id]?.trim();
    if (!raw) continue;
    const number = Number(raw);
    if (!(number > 0) || (field.integer && !Number.isInteger(number))) {
      problems.push(`${field.label}: enter a ${field.integer ? "whole " : ""}number above 0.`);
      continue;
    }
    value[field.section] = { ...value[field.section], [field.key]: number };
  }
  return { value: Object.keys(value).length ? (value as THyperparameters) : undefined, problems };
}

/** The preset's hyper-parameters, each of which the owner may override. */
export function HyperparameterFields({
  preset,
  text,
  onChange,
}: {
  preset: TPresetName;
  text: THyperparameterText;
  onChange: (text: THyperparameterText) => void;
}) {
  return (
    <details className="advanced">
      <summary>Hyper-parameters</summary>
      <p className="muted" style={{ margin: "8px 0 12px" }}>
        Empty fields keep the preset's value, shown in grey.
      </p>
      <div className="grid grid-2">
        {FIELDS.map((field) => (
          <div className="field" key={field.id}>
            <label htmlFor={field.id}>{field.label}</label>
            <input
              id={field.id}
              className="input num"
              inputMode="decimal"
              placeholder={String(field.presetValue(preset))}
              value={text[field.id] ?? ""}
              onChange={(event) => onChange({ ...text, [field.id]: event.target.value })}
            />
            <span className="hint">{field.hint}</span>
          </div>
        ))}
      </div>
    </details>
  );
}
