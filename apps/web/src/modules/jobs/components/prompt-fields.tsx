"use client";

import type { TPromptSpec } from "@dpsynth/contracts";
import { Field } from "@/components/ui/field";
import { PROMPT_PLACEHOLDERS } from "@/lib/prompt-template";
import { DEFAULT_PROMPT, labelPrompts, type TPromptSchema, type TPromptText } from "../lib/prompt-request";

const STYLES: { value: TPromptSpec["style"]; label: string }[] = [
  { value: "auto", label: "Auto: the chat template for chat models, plain text otherwise" },
  { value: "chat", label: "Chat: the instruction in the model's chat template" },
  { value: "plain", label: "Plain: the instruction as a line of text" },
  { value: "raw", label: "Raw: the bare label value (a baseline to compare against)" },
];

/** Per-job label descriptions, the prompt template, and the prompt each label's rows will be conditioned on. */
export function PromptFields({
  dataset,
  text,
  onChange,
  problem,
}: {
  dataset: TPromptSchema;
  text: TPromptText;
  onChange: (text: TPromptText) => void;
  problem?: string;
}) {
  return (
    <div className="form">
      <p className="muted">
        Rows are generated per label, from a prompt built of public words only: the dataset's subject (
        <strong>{dataset.subject}</strong>), the label column's name and each label's description. Edit a description
        for this job only; empty keeps the dataset's.
      </p>
      <div className="grid grid-2">
        {dataset.labels.map((label, index) => (
          <Field
            key={label.value}
            id={`job-label-${index}`}
            label={
              <>
                Description of <span className="mono">{label.value}</span>
              </>
            }
          >
            {(control) => (
              <input
                {...control}
                className="input"
                placeholder={label.description}
                value={text.descriptions[label.value] ?? ""}
                onChange={(event) =>
                  onChange({ ...text, descriptions: { ...text.descriptions, [label.value]: event.target.value } })
                }
              />
            )}
          </Field>
        ))}
      </div>
      <Field id="job-prompt-style" label="Prompt style">
        {(control) => (
          <select
            {...control}
            className="select"
            value={text.style}
            onChange={(event) => onChange({ ...text, style: event.target.value as TPromptSpec["style"] })}
          >
            {STYLES.map((style) => (
              <option key={style.value} value={style.value}>
                {style.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        id="job-prompt-instruction"
        label="Instruction template"
        error={problem}
        hint={
          <>
            Placeholders: {PROMPT_PLACEHOLDERS.map((name) => `{${name}}`).join(", ")} ({"{label}"} is the description,{" "}
            {"{value}"} the label itself). Empty keeps the default.
          </>
        }
      >
        {(control) => (
          <textarea
            {...control}
            className="textarea mono"
            rows={2}
            placeholder={DEFAULT_PROMPT.instruction}
            value={text.instruction}
            disabled={text.style === "raw"}
            onChange={(event) => onChange({ ...text, instruction: event.target.value })}
          />
        )}
      </Field>
      <section className="stack" style={{ gap: 6 }} aria-labelledby="job-prompt-examples">
        <span className="label" id="job-prompt-examples" style={{ fontWeight: 550 }}>
          What the model is asked, per label
        </span>
        {labelPrompts(dataset, text).map(({ value, prompt }) => (
          <div key={value} className="stack" style={{ gap: 4 }}>
            <span className="badge plain badge-accent" style={{ alignSelf: "flex-start" }}>
              {value}
            </span>
            <pre className="prompt-example" data-label={value}>
              {prompt}
            </pre>
          </div>
        ))}
        {(text.style === "auto" || text.style === "chat") && (
          <span className="hint muted" style={{ fontSize: 12.5 }}>
            Chat models see this line inside their chat template; the report shows each prompt exactly as the model saw
            it.
          </span>
        )}
      </section>
    </div>
  );
}
