import { THROUGHPUT, type TThroughput } from "./catalog.ts";

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
 * for a model without a measured figure. Training covers `epochs` passes over `trainRows`; sampling the synthetic
 * rows and the prior-only baseline rows.
 */
export function estimateJob(
  model: string,
  work: { trainRows: number; epochs: number; syntheticRows: number; baselineRows: number },
): TJobEstimate | null {
  const measured = (THROUGHPUT as Partial<Record<string, TThroughput>>)[model];
  if (!measured) return null;
  const stages = {
    loading: measured.loadingS,
    training: (work.epochs * work.trainRows) / measured.trainRowsPerS,
    sampling: work.syntheticRows / measured.sampleRowsPerS + work.baselineRows / measured.baselineRowsPerS,
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
