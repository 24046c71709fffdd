import { THROUGHPUT, type TThroughput } from "./catalog.ts";
import { MAX_GUIDANCE_CONTRASTS } from "./job-spec.ts";

/** English text under the catalog models' byte-level BPE tokenizers averages about this many characters a token. */
const CHARS_PER_TOKEN = 4;
/** What a chat template and its system line add to a prompt, in tokens (SmolLM2's come to about 20). */
const TEMPLATE_TOKENS = 20;

/**
 * What an average row of a dataset costs the trainer, in tokens estimated from the owner's own column statistics
 * (mean characters per value), as `records.py` writes a row: the prompt, each other synthesised column as
 * `name: value` on its own line, then the text. Good enough to warn before a job cuts most rows and to scale the
 * measured throughput to another table; the trainer counts exactly.
 */
export type TRowWork = {
  /** A training row with its prompt, before any cut at the max sequence length. */
  rowTokens: number;
  /** The text alone. */
  textTokens: number;
  /** What the sampler has the model write per row: every value, each cut at the max new tokens. */
  sampledTokens: number;
  /** Prompts each row is decoded against at once: its own, and with guidance the other labels' (up to a limit). */
  streams: number;
};

export function rowWork(table: {
  /** Mean characters of a column's filled values. */
  meanLength: (column: string) => number;
  textColumn: string;
  /** The other synthesised columns, in order. */
  columns: readonly string[];
  longestPrompt: string;
  labels: number;
  maxNewTokens: number;
  guidance: number;
}): TRowWork {
  const tokens = (chars: number) => Math.ceil(chars / CHARS_PER_TOKEN);
  // Field names are written only when there are other columns; each value then follows "name: " on its own line.
  const named = table.columns.length ? [...table.columns, table.textColumn] : [];
  const structure = named.reduce((chars, name) => chars + name.length + 3, 0);
  const values = [...table.columns, table.textColumn].map((name) => table.meanLength(name));
  const textTokens = tokens(table.meanLength(table.textColumn));
  return {
    rowTokens: tokens(table.longestPrompt.length + structure + values.reduce((a, b) => a + b, 0)) + TEMPLATE_TOKENS,
    textTokens,
    // Each value ends at a stop token (a line end; the end of the row for the text).
    sampledTokens: values.reduce((sum, chars) => sum + Math.min(tokens(chars) + 1, table.maxNewTokens), 0),
    streams: table.guidance > 0 ? 1 + Math.min(table.labels - 1, MAX_GUIDANCE_CONTRASTS) : 1,
  };
}

export type TEstimatedStage = "loading" | "training" | "sampling" | "evaluating";

/** A job's expected duration before it runs, from the measured throughput table. */
export type TJobEstimate = {
  totalS: number;
  stages: Record<TEstimatedStage, number>;
  /** Where the figures were measured ("2 CPU cores") and which bench result holds them. */
  machine: string;
  source: string;
};

/**
 * How long a job of `model` should take, stage by stage, at the throughput measured for it (`THROUGHPUT`); null
 * for a model without a measured figure. Training covers `epochs` passes over `trainRows`, each row costing in
 * proportion to its tokens (cut at `maxSeqLen`); sampling the synthetic rows and the prior-only baseline rows, each
 * in proportion to the tokens written and the prompts decoded against, relative to the table it was measured on.
 */
export function estimateJob(
  model: string,
  work: {
    trainRows: number;
    epochs: number;
    syntheticRows: number;
    baselineRows: number;
    maxSeqLen: number;
    row: TRowWork;
  },
): TJobEstimate | null {
  const measured = (THROUGHPUT as Partial<Record<string, TThroughput>>)[model];
  if (!measured) return null;
  const { row } = work;
  const trainCost = Math.min(row.rowTokens, work.maxSeqLen) / measured.table.rowTokens;
  const sampleCost = (row.sampledTokens * row.streams) / (measured.table.sampledTokens * measured.table.streams);
  const stages = {
    loading: measured.loadingS,
    training: ((work.epochs * work.trainRows) / measured.trainRowsPerS) * trainCost,
    sampling:
      (work.syntheticRows / measured.sampleRowsPerS + work.baselineRows / measured.baselineRowsPerS) * sampleCost,
    evaluating: measured.evaluatingS,
  };
  const totalS = stages.loading + stages.training + stages.sampling + stages.evaluating;
  return { totalS, stages, machine: measured.machine, source: measured.source };
}

/** How far a stage had got at one moment: `done` units (steps, rows) at `at` (ms since the epoch). */
export type TProgressSample = { at: number; done: number };

/** Units per second between two progress samples; null when no time passed or nothing was done between them. */
export function ratePerSecond(first: TProgressSample, last: TProgressSample): number | null {
  const seconds = (last.at - first.at) / 1000;
  const units = last.done - first.done;
  return seconds > 0 && units > 0 ? units / seconds : null;
}

/**
 * Seconds a running stage still needs at `now` (ms), at the rate it was measured to go between its first and its
 * latest progress sample: `total` units in all. Null until the rate is measurable (one sample, or no progress
 * between them). Time since the latest sample counts as spent, never below zero.
 */
export function remainingSeconds(
  progress: { total: number; first: TProgressSample; last: TProgressSample },
  now: number,
): number | null {
  const { total, first, last } = progress;
  const rate = ratePerSecond(first, last);
  if (rate === null) return null;
  const left = Math.max(0, total - last.done) / rate;
  return Math.max(0, left - Math.max(0, now - last.at) / 1000);
}
