import { isTerminalJobStatus } from "@dpsynth/db/job-lifecycle";
import type { TJobWire } from "@/components/api/wire-types";
import { useNow } from "@/components/hooks/use-now";
import { formatDuration, formatInteger } from "@/components/ui/format";
import type { TJobLiveState } from "../hooks/live-state";
import { stageEtas } from "../lib/stage-eta";

function Bar({ label, value, max, detail }: { label: string; value: number | null; max: number; detail: string }) {
  const percent = value === null ? null : Math.min(100, Math.round((value / max) * 100));
  return (
    <div className="stack" style={{ gap: 6 }}>
      <div className="spread">
        <span style={{ fontWeight: 550 }}>{label}</span>
        <span className="muted num">{detail}</span>
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
      >
        <span style={{ width: `${percent ?? 0}%` }} />
      </div>
    </div>
  );
}

const STAGE_ORDER = ["loading", "training", "sampling", "evaluating", "done"];

function stageIndex(stage: string | null): number {
  return stage ? STAGE_ORDER.indexOf(stage) : -1;
}

/** Training (ε spent of approved), sampling (rows generated) and evaluation, as bars. */
export function StageProgress({ job, live }: { job: TJobWire; live: TJobLiveState }) {
  const stage = live.stage ?? job.stage;
  const reached = job.status === "SUCCEEDED" ? STAGE_ORDER.length : stageIndex(stage);
  const lastPoint = live.points.at(-1);
  const epochs = job.spec.training.epochs;
  const totalSteps = live.totalSteps;
  const rowsTarget = job.spec.sampling.rows;
  // Once the trainer reported its result, the rows it made; sampling may end short of the target.
  const rowsDone = job.rows ? job.rows.produced : reached > 2 ? (live.rowsDone ?? rowsTarget) : live.rowsDone;
  // A failed or cancelled job will not reach the stages ahead of it.
  const idle = job.status === "FAILED" || job.status === "CANCELLED" ? "not run" : "waiting";
  const running = job.status === "RUNNING";
  const now = useNow(running);
  const baselineRows = Math.min(job.spec.evaluation.baselineRows, rowsTarget);
  const eta = stageEtas(live, { rows: rowsTarget, baselineRows }, now);
  // "about 3m 20s left" while the stage runs and its rate is measured; nothing otherwise.
  const left = (seconds: number | null, inStage: boolean) =>
    running && inStage && seconds !== null ? ` · about ${formatDuration(seconds * 1000)} left` : "";
  return (
    <div className="stack" style={{ gap: 14 }}>
      <Bar
        label="Training"
        value={reached > 1 ? 1 : lastPoint ? (totalSteps ? lastPoint.step : lastPoint.epoch) : null}
        max={reached > 1 ? 1 : (totalSteps ?? epochs)}
        detail={
          reached > 1
            ? "done"
            : lastPoint
              ? `step ${lastPoint.step}${totalSteps ? ` of ${totalSteps}` : ""} · epoch ${lastPoint.epoch.toFixed(2)} of ${epochs}${left(eta.training, reached === 1)}`
              : reached === 0 && job.status === "RUNNING"
                ? "loading the model"
                : idle
        }
      />
      <Bar
        label="Sampling"
        value={reached >= 2 ? (rowsDone ?? 0) : null}
        max={rowsTarget}
        detail={
          reached >= 2
            ? `${formatInteger(rowsDone ?? 0)} of ${formatInteger(rowsTarget)} rows${left(eta.sampling, reached === 2)}`
            : idle
        }
      />
      <Bar
        label="Evaluation"
        value={reached > 3 ? 1 : reached === 3 ? 0.5 : null}
        max={1}
        detail={reached > 3 ? "done" : reached === 3 ? "classifiers and privacy diagnostics" : idle}
      />
      {live.lastLog && !isTerminalJobStatus(job.status) && (
        <p className="faint" style={{ fontSize: 12.5, overflowWrap: "anywhere" }} aria-live="polite">
          {live.lastLog}
        </p>
      )}
    </div>
  );
}
