import "server-only";
import { rowWork, type TJobSpec, type TRowWork } from "@dpsynth/contracts";
import { renderPrompt } from "@/lib/prompt-template";

/** Columns as stored at upload: older datasets kept no mean length (then counted as 0: no warning, no scaling). */
type TColumnStats = readonly { name: string; meanLength?: number | null }[];

/**
 * An average row of the job's dataset in tokens, from the owner's column statistics stored at upload and the
 * job's own prompt, columns and sampling settings. Labels released with DP have no declared words yet: the prompt
 * is then measured without them.
 */
export function specRowWork(spec: TJobSpec, columns: TColumnStats): TRowWork {
  const labels = spec.data.labels.length ? spec.data.labels : [{ value: "", description: "" }];
  const prompts = labels.map((label) =>
    renderPrompt(spec.prompt, { subject: spec.data.subject, labelColumn: spec.data.labelColumn, label }),
  );
  const lengths = new Map(columns.map((column) => [column.name, column.meanLength ?? 0]));
  return rowWork({
    meanLength: (name) => lengths.get(name) ?? 0,
    textColumn: spec.data.textColumn,
    columns: spec.data.columns,
    longestPrompt: prompts.reduce((longest, prompt) => (prompt.length > longest.length ? prompt : longest)),
    // How many labels a DP release lets through is unknown until it runs: at least the two a table needs.
    labels: Math.max(2, spec.data.labels.length),
    maxNewTokens: spec.sampling.maxNewTokens,
    guidance: spec.sampling.guidance,
  });
}
