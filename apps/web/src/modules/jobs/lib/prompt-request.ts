import { type TPromptSpec, ZPromptSpec } from "@dpsynth/contracts";
import type { TDatasetWire } from "@/components/api/wire-types";
import { PROMPT_PLACEHOLDERS, renderPrompt, unknownPlaceholders } from "@/lib/prompt-template";

/** The contract's default prompt: what a job gets when the owner changes nothing. */
export const DEFAULT_PROMPT = ZPromptSpec.parse({});

/** What the owner typed in the job form's labels-and-prompt card; empty strings keep the dataset's or default. */
export interface TPromptText {
  descriptions: Record<string, string>;
  style: TPromptSpec["style"];
  instruction: string;
}

export const EMPTY_PROMPT_TEXT: TPromptText = { descriptions: {}, style: DEFAULT_PROMPT.style, instruction: "" };

export type TPromptSchema = Pick<TDatasetWire, "labels" | "subject" | "labelColumn">;

/**
 * The request's `labelDescriptions` and `prompt` from what was typed: only real changes, so an untouched form sends
 * neither; and the problem the API would refuse the instruction for, if any.
 */
export function promptRequest(dataset: TPromptSchema | undefined, text: TPromptText) {
  const labelDescriptions: Record<string, string> = {};
  for (const label of dataset?.labels ?? []) {
    const typed = text.descriptions[label.value]?.trim();
    if (typed && typed !== label.description) labelDescriptions[label.value] = typed;
  }
  const instruction = text.instruction.trim();
  const prompt: Partial<TPromptSpec> = {
    ...(text.style !== DEFAULT_PROMPT.style ? { style: text.style } : {}),
    ...(instruction && instruction !== DEFAULT_PROMPT.instruction ? { instruction } : {}),
  };
  const unknown = unknownPlaceholders(instruction);
  return {
    ...(Object.keys(labelDescriptions).length ? { labelDescriptions } : {}),
    ...(Object.keys(prompt).length ? { prompt } : {}),
    problem: unknown.length
      ? `${unknown.map((name) => `{${name}}`).join(", ")} ${unknown.length === 1 ? "is not a placeholder" : "are not placeholders"}; use ${PROMPT_PLACEHOLDERS.map((name) => `{${name}}`).join(", ")}.`
      : undefined,
  };
}

/** Each declared label with the words its rows will be conditioned on, as typed in the form (or the defaults). */
export function labelPrompts(dataset: TPromptSchema, text: TPromptText) {
  const instruction = text.instruction.trim() || DEFAULT_PROMPT.instruction;
  return dataset.labels.map((label) => {
    const description = text.descriptions[label.value]?.trim() || label.description;
    const prompt = renderPrompt(
      { style: text.style, instruction },
      { subject: dataset.subject, labelColumn: dataset.labelColumn, label: { value: label.value, description } },
    );
    return { value: label.value, prompt };
  });
}
