import type { TTrainerEvent } from "@dpsynth/contracts";
import { describe, expect, it } from "vitest";
import { initialLiveState, reduceLiveState, type TJobLiveState } from "./live-state";

const base = { schemaVersion: 1, jobId: "job-1", ts: "2026-01-01T00:00:00Z", attempt: 1 } as const;

function metric(seq: number, step: number, values: Record<string, number>): TTrainerEvent {
  return { ...base, type: "metric", seq, step, epoch: step / 8, values } as TTrainerEvent;
}

function fold(events: TTrainerEvent[]): TJobLiveState {
  return events.reduce((state, event) => reduceLiveState(state, { kind: "event", event }), initialLiveState);
}

describe("reduceLiveState", () => {
  it("plots a point for each metric event that has both loss and epsilon", () => {
    const state = fold([
      metric(0, 1, { "train/loss": 6.2, "privacy/epsilon": 2.3, "perf/samples_per_s": 12, "train/total_steps": 16 }),
      metric(1, 2, { "train/loss": 6.1, "privacy/epsilon": 2.6 }),
      metric(2, 2, { "sampling/rows_done": 25 }),
    ]);
    expect(state.points).toEqual([
      { step: 1, epoch: 1 / 8, epsilon: 2.3, loss: 6.2 },
      { step: 2, epoch: 2 / 8, epsilon: 2.6, loss: 6.1 },
    ]);
    expect(state.samplesPerSecond).toBe(12);
    expect(state.totalSteps).toBe(16);
    expect(state.rowsDone).toBe(25);
    expect(state.lastSeq).toBe(2);
  });

  it("ignores events replayed after a reconnect (seq at or below the last one applied)", () => {
    const first = metric(0, 1, { "train/loss": 6.2, "privacy/epsilon": 2.3 });
    const state = fold([first, metric(1, 2, { "train/loss": 6.1, "privacy/epsilon": 2.6 }), first]);
    expect(state.points).toHaveLength(2);
  });

  it("follows the stage and keeps the last non-debug log line", () => {
    const state = fold([
      { ...base, type: "stage", seq: 0, stage: "training" },
      { ...base, type: "log", seq: 1, level: "info", message: "243 rows were truncated" },
      { ...base, type: "log", seq: 2, level: "debug", message: "noise" },
      { ...base, type: "stage", seq: 3, stage: "sampling" },
    ] as TTrainerEvent[]);
    expect(state.stage).toBe("sampling");
    expect(state.lastLog).toBe("243 rows were truncated");
  });

  it("records the connection state without touching the events", () => {
    const state = reduceLiveState(fold([metric(0, 1, { "train/loss": 1, "privacy/epsilon": 1 })]), {
      kind: "connection",
      state: "open",
    });
    expect(state.connection).toBe("open");
    expect(state.points).toHaveLength(1);
  });
});
