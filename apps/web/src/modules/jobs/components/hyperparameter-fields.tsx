"use client";

import { PRESETS, type TPresetName, ZPrivacySpec, ZSamplingSpec, ZTrainingSpec } from "@dpsynth/contracts";
import type { z } from "zod";
import { CheckField, Field } from "@/components/ui/field";
import type { ZHyperparameters } from "@/server/jobs/schemas";

export type THyperparameters = z.input<typeof ZHyperparameters>;

type TSection = "training" | "privacy" | "sampling";
const SECTIONS = { training: ZTrainingSpec, privacy: ZPrivacySpec, sampling: ZSamplingSpec } as const;

/** One overridable field: where it goes in the request; the value it replaces is the preset's. */
type TField = {
  id: string;
  label: string;
  hint: string;
  section: TSection;
  key: string;
  integer?: boolean;
  /** The smallest value allowed; above 0 when unset. */
  min?: number;
};

/** The value a field keeps when left empty: the preset's, else the contract's default. */
function presetValue(preset: TPresetName, field: TField): number {
  const section = PRESETS[preset][field.section] as Record<string, unknown>;
  if (typeof section[field.key] === "number") return section[field.key] as number;
  return (SECTIONS[field.section].shape as Record<string, z.ZodType>)[field.key]?.parse(undefined) as number;
}

const FIELDS: TField[] = [
  {
    id: "hp-epochs",
    label: "Epochs",
    hint: "More epochs take more steps, so the same ε buys more noise per step.",
    section: "training",
    key: "epochs",
  },
  {
    id: "hp-learning-rate",
    label: "Learning rate",
    hint: "AdamW's step size.",
    section: "training",
    key: "learningRate",
  },
  {
    id: "hp-batch",
    label: "Logical batch size",
    hint: "Rows per DP-SGD step; larger batches need less noise per row.",
    section: "training",
    key: "logicalBatchSize",
    integer: true,
  },
  {
    id: "hp-seq-len",
    label: "Max sequence length (tokens)",
    hint: "Longer rows are cut to this length.",
    section: "training",
    key: "maxSeqLen",
    integer: true,
  },
  {
    id: "hp-clip",
    label: "Clipping norm",
    hint: "Each row's gradient is clipped to this norm before noise is added.",
    section: "privacy",
    key: "maxGradNorm",
  },
  {
    id: "hp-new-tokens",
    label: "Max new tokens per row",
    hint: "How long a generated row may get.",
    section: "sampling",
    key: "maxNewTokens",
    integer: true,
  },
  {
    id: "hp-guidance",
    label: "Label guidance",
    hint: "Pushes each row towards its own label against the others' prompts; 0 turns it off. No privacy cost.",
    section: "sampling",
    key: "guidance",
    min: 0,
  },
  {
    id: "hp-candidates",
    label: "Candidates per row, at most",
    hint: "Rows re-scored as another label are generated again, up to this many tries per row asked for.",
    section: "sampling",
    key: "maxCandidatesPerRow",
  },
];

/** Switches the owner may flip: re-scoring, for one, is worth turning off for a model that knows nothing yet. */
const SWITCHES: Omit<TField, "integer" | "min">[] = [
  {
    id: "hp-rescoring",
    label: "Re-score candidates",
    hint: "Keep a row only when the fine-tuned model reads it as its own label. No privacy cost.",
    section: "sampling",
    key: "rescoring",
  },
];

function presetSwitch(preset: TPresetName, field: Omit<TField, "integer" | "min">): boolean {
  const section = PRESETS[preset][field.section] as Record<string, unknown>;
  if (typeof section[field.key] === "boolean") return section[field.key] as boolean;
  return (SECTIONS[field.section].shape as Record<string, z.ZodType>)[field.key]?.parse(undefined) as boolean;
}

/** What the owner typed or ticked, by field id: numbers as typed, switches as "on" or "off". */
export type THyperparameterText = Record<string, string>;

/**
 * Overrides the owner typed, as the API's `hyperparameters`; empty fields keep the preset's value. `problems` holds
 * what is wrong with a field, by its id.
 */
export function hyperparametersOf(text: THyperparameterText): {
  value?: THyperparameters;
  problems: Record<string, string>;
} {
  const value: Record<string, Record<string, number | boolean>> = {};
  const problems: Record<string, string> = {};
  for (const field of FIELDS) {
    const raw = text[field.id]?.trim();
    if (!raw) continue;
    const number = Number(raw);
    const tooSmall = field.min === undefined ? !(number > 0) : !(number >= field.min);
    if (Number.isNaN(number) || tooSmall || (field.integer && !Number.isInteger(number))) {
      const bound = field.min === undefined ? "above 0" : `of at least ${field.min}`;
      problems[field.id] = `${field.label}: enter a ${field.integer ? "whole " : ""}number ${bound}.`;
      continue;
    }
    value[field.section] = { ...value[field.section], [field.key]: number };
  }
  for (const field of SWITCHES) {
    const state = text[field.id];
    if (state === "on" || state === "off")
      value[field.section] = { ...value[field.section], [field.key]: state === "on" };
  }
  return { value: Object.keys(value).length ? (value as THyperparameters) : undefined, problems };
}

/** The preset's hyper-parameters, each of which the owner may override. */
export function HyperparameterFields({
  preset,
  text,
  onChange,
  problems,
}: {
  preset: TPresetName;
  text: THyperparameterText;
  onChange: (text: THyperparameterText) => void;
  /** What `hyperparametersOf` found wrong, by field id. */
  problems: Record<string, string>;
}) {
  return (
    <details className="advanced">
      <summary>Hyper-parameters</summary>
      <p className="muted" style={{ margin: "8px 0 12px" }}>
        Empty fields keep the preset's value, shown in grey.
      </p>
      <div className="grid grid-2">
        {FIELDS.map((field) => (
          <Field key={field.id} id={field.id} label={field.label} hint={field.hint} error={problems[field.id]}>
            {(control) => (
              <input
                {...control}
                className="input num"
                inputMode="decimal"
                placeholder={String(presetValue(preset, field))}
                value={text[field.id] ?? ""}
                onChange={(event) => onChange({ ...text, [field.id]: event.target.value })}
              />
            )}
          </Field>
        ))}
        {SWITCHES.map((field) => (
          <CheckField key={field.id} id={field.id} label={field.label} hint={field.hint}>
            {(control) => (
              <input
                {...control}
                type="checkbox"
                checked={text[field.id] ? text[field.id] === "on" : presetSwitch(preset, field)}
                onChange={(event) => onChange({ ...text, [field.id]: event.target.checked ? "on" : "off" })}
              />
            )}
          </CheckField>
        ))}
      </div>
    </details>
  );
}
