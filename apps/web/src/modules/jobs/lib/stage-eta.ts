import { ratePerSecond, remainingSeconds } from "@dpsynth/contracts";
import type { TJobLiveState } from "../hooks/live-state";

/**
 * Seconds the running stages still need at `now`, each from this job's own measured rate: training from its steps
 * per second, sampling from its rows per second (the prior-only baseline that follows the synthetic rows at the
 * synthetic rows' rate until it has a rate of its own). Null for a stage that is not measurable yet.
 */
export function stageEtas(
  live: Pick<TJobLiveState, "progress" | "totalSteps">,
  targets: { rows: number; baselineRows: number },
  now: number,
): { training: number | null; sampling: number | null } {
  const { training, sampling, baseline } = live.progress;
  const trainingLeft =
    training && live.totalSteps !== null ? remainingSeconds({ total: live.totalSteps, ...training }, now) : null;
  let samplingLeft: number | null = null;
  if (baseline) {
    samplingLeft = remainingSeconds({ total: targets.baselineRows, ...baseline }, now);
  } else if (sampling) {
    const synthetic = remainingSeconds({ total: targets.rows, ...sampling }, now);
    const rate = ratePerSecond(sampling.first, sampling.last);
    samplingLeft = synthetic === null || rate === null ? null : synthetic + targets.baselineRows / rate;
  }
  return { training: trainingLeft, sampling: samplingLeft };
}
