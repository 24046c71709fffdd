import type { TTrainerEvent } from "@dpsynth/contracts";
import { describe, expect, it } from "vitest";
import { initialLiveState, reduceLiveState, type TJobLiveState } from "../hooks/live-state";
import { stageEtas } from "./stage-eta";

const t0 = Date.parse("2026-12-02T10:00:00Z");
let seq = 0;

function metric(secondsIn: number, step: number, values: Record<string, number>, attempt = 1): TTrainerEvent {
  const ts = new Date(t0 + secondsIn * 1000).toISOString();
  return { schemaVersion: 1, jobId: "job-1", ts, attempt, type: "metric", seq: seq++, step, epoch: 0, values };
}

function fold(events: TTrainerEvent[]): TJobLiveState {
  return events.reduce((state, event) => reduceLiveState(state, { kind: "event", event }), initialLiveState);
}

const train = (s: number, step: number, attempt = 1) =>
  metric(s, step, { "train/loss": 5, "privacy/epsilon": 1, "train/total_steps": 16 }, attempt);
const at = (seconds: number) => t0 + seconds * 1000;

describe("stageEtas", () => {
  it("has no training ETA after one step, then extrapolates the job's own step rate", () => {
    expect(stageEtas(fold([train(30, 1)]), { rows: 100, baselineRows: 0 }, at(30)).training).toBeNull();
    // Steps 1 to 4 in 30 s: 10 s a step, 12 steps left, 5 s of them spent since the last event.
    const live = fold([train(30, 1), train(40, 2), train(50, 3), train(60, 4)]);
    expect(stageEtas(live, { rows: 100, baselineRows: 0 }, at(65)).training).toBeCloseTo(115);
  });

  it("measures a resumed attempt on its own steps, not across the gap before it", () => {
    const live = fold([train(0, 1), train(10, 2), train(3600, 3, 2), train(3620, 4, 2)]);
    expect(stageEtas(live, { rows: 100, baselineRows: 0 }, at(3620)).training).toBeCloseTo(240);
  });

  it("adds the baseline's rows to the sampling ETA at the synthetic rate until the baseline has its own", () => {
    const rows = (s: number, done: number) => metric(s, done, { "sampling/rows_done": done });
    // 20 rows in 10 s: 2 rows/s; 70 rows and 50 baseline rows left: 60 s.
    const live = fold([rows(100, 10), rows(110, 30)]);
    expect(stageEtas(live, { rows: 100, baselineRows: 50 }, at(110)).sampling).toBeCloseTo(60);
    const base = (s: number, done: number) => metric(s, done, { "baseline/rows_done": done });
    const later = fold([rows(100, 10), rows(110, 30), rows(150, 100), base(160, 10), base(165, 20)]);
    // The baseline's own rate: 2 rows/s, 30 left.
    expect(stageEtas(later, { rows: 100, baselineRows: 50 }, at(165)).sampling).toBeCloseTo(15);
  });
});
