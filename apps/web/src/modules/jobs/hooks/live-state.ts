import type { TProgressSample, TStage, TTrainerEvent } from "@dpsynth/contracts";

/** The first and the latest progress sample of one attempt of a stage: what its measured rate is taken over. */
export type TProgressSpan = { attempt: number; first: TProgressSample; last: TProgressSample };

/** One point of the loss-versus-epsilon curve. */
export type TCurvePoint = { step: number; epoch: number; epsilon: number; loss: number };

export type TJobLiveState = {
  points: TCurvePoint[];
  samplesPerSecond: number | null;
  /** The run's planned logical steps (from `train/total_steps`). */
  totalSteps: number | null;
  stage: TStage | null;
  /** Rows generated so far while sampling (from `sampling/rows_done`). */
  rowsDone: number | null;
  lastLog: string | null;
  /** Progress over time of training (steps), sampling and the baseline's sampling (rows): the ETAs' rates. */
  progress: { training: TProgressSpan | null; sampling: TProgressSpan | null; baseline: TProgressSpan | null };
  connection: "connecting" | "open" | "closed";
  /** Highest seq applied; replays after a reconnect are skipped. */
  lastSeq: number;
};

export const initialLiveState: TJobLiveState = {
  points: [],
  samplesPerSecond: null,
  totalSteps: null,
  stage: null,
  rowsDone: null,
  lastLog: null,
  progress: { training: null, sampling: null, baseline: null },
  connection: "connecting",
  lastSeq: -1,
};

export type TLiveAction =
  | { kind: "event"; event: TTrainerEvent }
  | { kind: "connection"; state: TJobLiveState["connection"] };

/** A span extended by a sample; a new attempt (a retry resuming its checkpoint) starts a span of its own. */
function extend(span: TProgressSpan | null, attempt: number, sample: TProgressSample): TProgressSpan {
  return span && span.attempt === attempt ? { ...span, last: sample } : { attempt, first: sample, last: sample };
}

/** Folds one trainer event (or a connection change) into what the job page shows; replayed seqs are ignored. */
export function reduceLiveState(state: TJobLiveState, action: TLiveAction): TJobLiveState {
  if (action.kind === "connection") return { ...state, connection: action.state };
  const event = action.event;
  if (event.seq <= state.lastSeq) return state;
  const next = { ...state, lastSeq: event.seq };
  switch (event.type) {
    case "metric": {
      const loss = event.values["train/loss"];
      const epsilon = event.values["privacy/epsilon"];
      const throughput = event.values["perf/samples_per_s"];
      const rows = event.values["sampling/rows_done"];
      const totalSteps = event.values["train/total_steps"];
      const baselineRows = event.values["baseline/rows_done"];
      const at = Date.parse(event.ts);
      const progress = { ...state.progress };
      if (loss !== undefined) progress.training = extend(progress.training, event.attempt, { at, done: event.step });
      if (rows !== undefined) progress.sampling = extend(progress.sampling, event.attempt, { at, done: rows });
      if (baselineRows !== undefined) {
        progress.baseline = extend(progress.baseline, event.attempt, { at, done: baselineRows });
      }
      next.progress = progress;
      if (throughput !== undefined) next.samplesPerSecond = throughput;
      if (totalSteps !== undefined) next.totalSteps = totalSteps;
      if (rows !== undefined) next.rowsDone = rows;
      if (loss !== undefined && epsilon !== undefined) {
        next.points = [...state.points, { step: event.step, epoch: event.epoch, epsilon, loss }];
      }
      return next;
    }
    case "stage":
      return { ...next, stage: event.stage };
    case "log":
      return event.level === "debug" ? next : { ...next, lastLog: event.message };
    default:
      return next;
  }
}
