import { describe, expect, it } from "vitest";
import { estimateJob, remainingSeconds } from "./eta.ts";

describe("estimateJob", () => {
  it("adds up the measured stages of the cpu preset's run to the half hour the bench recorded", () => {
    const estimate = estimateJob("smollm2-135m", {
      trainRows: 2000,
      epochs: 2,
      syntheticRows: 1000,
      baselineRows: 500,
    });
    expect(estimate?.machine).toBe("2 CPU cores");
    expect(estimate?.source).toBe("bench/results/utility.md");
    // bench/results/utility.md, eps-8: training 585 s, sampling 1,112 s, 1,772 s in all.
    expect(estimate?.stages.training).toBeCloseTo(588, 0);
    expect(estimate?.stages.sampling).toBeCloseTo(1127, 0);
    expect((estimate?.totalS ?? 0) / 60).toBeGreaterThan(28);
    expect((estimate?.totalS ?? 0) / 60).toBeLessThan(32);
  });

  it("scales with the work asked for", () => {
    const base = { trainRows: 1000, epochs: 1, syntheticRows: 100, baselineRows: 0 };
    const one = estimateJob("smollm2-135m", base);
    const more = estimateJob("smollm2-135m", { ...base, epochs: 2, syntheticRows: 200 });
    expect(more?.stages.training).toBeCloseTo(2 * (one?.stages.training ?? 0));
    expect(more?.stages.sampling).toBeCloseTo(2 * (one?.stages.sampling ?? 0));
  });

  it("gives no estimate for a model nobody measured", () => {
    expect(estimateJob("gpt2-large", { trainRows: 10, epochs: 1, syntheticRows: 1, baselineRows: 0 })).toBeNull();
    expect(estimateJob("org/unknown", { trainRows: 10, epochs: 1, syntheticRows: 1, baselineRows: 0 })).toBeNull();
  });
});

describe("remainingSeconds", () => {
  const t0 = Date.parse("2026-12-02T10:00:00Z");

  it("extrapolates the measured rate to what is left", () => {
    // 4 steps in 40 s: 10 s a step, 12 steps left.
    const progress = { total: 16, first: { at: t0, done: 0 }, last: { at: t0 + 40_000, done: 4 } };
    expect(remainingSeconds(progress, t0 + 40_000)).toBeCloseTo(120);
    // 15 s after the last sample, those count as spent.
    expect(remainingSeconds(progress, t0 + 55_000)).toBeCloseTo(105);
  });

  it("measures from the first sample of this run, so a resumed run's earlier steps do not count", () => {
    const progress = { total: 16, first: { at: t0, done: 10 }, last: { at: t0 + 20_000, done: 12 } };
    expect(remainingSeconds(progress, t0 + 20_000)).toBeCloseTo(40);
  });

  it("is null until a rate can be measured, and never negative", () => {
    expect(remainingSeconds({ total: 16, first: { at: t0, done: 3 }, last: { at: t0, done: 3 } }, t0)).toBeNull();
    expect(
      remainingSeconds({ total: 16, first: { at: t0, done: 3 }, last: { at: t0 + 9_000, done: 3 } }, t0),
    ).toBeNull();
    const finishing = { total: 4, first: { at: t0, done: 0 }, last: { at: t0 + 4_000, done: 4 } };
    expect(remainingSeconds(finishing, t0 + 60_000)).toBe(0);
  });
});
