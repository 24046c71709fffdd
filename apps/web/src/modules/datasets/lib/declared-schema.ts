import { type TLabelSource, ZDataSpec, ZLabelSpec } from "@dpsynth/contracts";
import { proposeSyntheticColumns } from "@dpsynth/datasets/columns";
import type { TPreviewWire } from "@/components/api/wire-types";

/** The contract's limits, checked here first so that the form can say so beside the field. */
const MAX_DESCRIPTION = ZLabelSpec.shape.description.maxLength ?? 500;
const MAX_SUBJECT = ZDataSpec.shape.subject.unwrap().maxLength ?? 200;

/** One detected label in the upload's labels step: kept (declared) or not, with the owner's description. */
export interface TLabelChoice {
  value: string;
  /** Rows of the whole file with this label: the owner's own file, shown to them only. */
  rows: number;
  keep: boolean;
  /** Empty means the value itself. */
  description: string;
}

/** The label column's values as choices, most frequent first, all kept, no description yet. */
export function labelChoices(preview: TPreviewWire, labelColumn: string): TLabelChoice[] {
  const values = preview.columns.find((column) => column.name === labelColumn)?.values ?? {};
  return Object.entries(values)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([value, rows]) => ({ value, rows, keep: true, description: "" }));
}

/** What the API's `labels` field gets: kept labels, in the shown order, an empty description left to the server. */
export function declaredLabels(choices: TLabelChoice[]): { value: string; description?: string }[] {
  return choices
    .filter((choice) => choice.keep)
    .map((choice) => ({
      value: choice.value,
      ...(choice.description.trim() ? { description: choice.description.trim() } : {}),
    }));
}

/** Rows whose label is not kept: they stay in the file and are never trained on. */
export function rowsOutside(choices: TLabelChoice[]): number {
  return choices.filter((choice) => !choice.keep).reduce((sum, choice) => sum + choice.rows, 0);
}

export interface TSchemaProblems {
  /** About the set as a whole. */
  labels?: string;
  /** By label value. */
  descriptions: Record<string, string>;
  subject?: string;
}

/** The problems the API would refuse the declared schema for, by field. */
export function schemaProblems(
  choices: TLabelChoice[],
  subject: string,
  labelSource: TLabelSource = "declared",
): TSchemaProblems {
  const problems: TSchemaProblems = { descriptions: {} };
  if (subject.trim().length > MAX_SUBJECT) problems.subject = `Keep the subject under ${MAX_SUBJECT} characters.`;
  // Nothing is declared when the labels are found with DP, so there is nothing else to check.
  if (labelSource === "dp-histogram") return problems;
  if (choices.filter((choice) => choice.keep).length < 2) {
    problems.labels =
      "Keep at least two labels: synthetic rows are generated for each, and a classifier tells them apart.";
  }
  for (const choice of choices) {
    if (choice.keep && choice.description.trim().length > MAX_DESCRIPTION) {
      problems.descriptions[choice.value] = `Keep the description under ${MAX_DESCRIPTION} characters.`;
    }
  }
  return problems;
}

export function hasProblems(problems: TSchemaProblems): boolean {
  return Boolean(problems.labels || problems.subject || Object.keys(problems.descriptions).length);
}

/** Why a column is not proposed for synthesis, or null when it is. */
export function columnNote(column: TPreviewWire["columns"][number]): string | null {
  if (column.idLike) return "ID-like: a different value in every row, so the model would learn nothing from it.";
  if (column.type === "empty") return "Empty in every row.";
  return null;
}

/** The other columns offered for synthesis, and which are ticked at first (none ID-like or empty). */
export function columnChoices(preview: TPreviewWire, textColumn: string, labelColumn: string) {
  const proposed = new Set(proposeSyntheticColumns(preview.columns, textColumn, labelColumn));
  return preview.columns
    .filter((column) => column.name !== textColumn && column.name !== labelColumn)
    .map((column) => ({
      name: column.name,
      type: column.type,
      note: columnNote(column),
      chosen: proposed.has(column.name),
    }));
}
