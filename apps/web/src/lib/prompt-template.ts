import type { TLabelSpec, TPromptSpec } from "@dpsynth/contracts";

/**
 * The placeholders a prompt instruction may use (see the contract's ZPromptSpec): the dataset's subject, the label
 * column's name, the label's description in words, and the label's value.
 */
export const PROMPT_PLACEHOLDERS = ["subject", "labelColumn", "label", "value"] as const;

const PLACEHOLDER = /\{(\w+)\}/g;

/** Placeholders in `instruction` that the trainer does not fill, in order of first use. */
export function unknownPlaceholders(instruction: string): string[] {
  const known: readonly string[] = PROMPT_PLACEHOLDERS;
  const names = [...instruction.matchAll(PLACEHOLDER)].map((match) => match[1] as string);
  return [...new Set(names.filter((name) => !known.includes(name)))];
}

export interface TPromptInputs {
  subject: string;
  labelColumn: string;
  label: TLabelSpec;
}

/**
 * The words one label's rows are conditioned on, from public inputs only. "raw" is the bare label value; every
 * other style writes the instruction with its placeholders filled ("chat" then wraps it in the model's chat
 * template, which only the trainer knows, so the report shows the exact prompt the model saw).
 */
export function renderPrompt(prompt: Pick<TPromptSpec, "style" | "instruction">, inputs: TPromptInputs): string {
  if (prompt.style === "raw") return inputs.label.value;
  const values: Record<(typeof PROMPT_PLACEHOLDERS)[number], string> = {
    subject: inputs.subject,
    labelColumn: inputs.labelColumn,
    label: inputs.label.description,
    value: inputs.label.value,
  };
  return prompt.instruction.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name as keyof typeof values] : whole,
  );
}
