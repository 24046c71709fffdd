import type { TStage, TTrainerEvent } from "@dpsynth/contracts";

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
  connection: "connecting",
  lastSeq: -1,
};

export type TLiveAction =
  | { kind: "event"; event: TTrainerEvent }
  | { kind: "connection"; state: TJobLiveState["connection"] };

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
