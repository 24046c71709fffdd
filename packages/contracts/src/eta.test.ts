import { describe, expect, it } from "vitest";
import { THROUGHPUT } from "./catalog.ts";
import { estimateJob, remainingSeconds, rowWork } from "./eta.ts";

/** The utility bench's table: Rotten Tomatoes snippets of 153 characters on average, two labels, guidance on. */
const SNIPPETS = rowWork({
  meanLength: (column) => ({ review: 153, label: 5 })[column] ?? 0,
  textColumn: "review",
  columns: [],
  longestPrompt: "Write one movie review snippet (label: positive, the critic liked the film).",
  labels: 2,
  maxNewTokens: 48,
  guidance: 1.5,
});

describe("rowWork", () => {
  it("estimates the measured table as the throughput table records it", () => {
    expect(SNIPPETS).toEqual({ ...THROUGHPUT["smollm2-135m"]?.table, textTokens: 39 });
  });

  it("adds the other columns as the trainer writes them, and the labels guidance decodes against", () => {
    // A debate transcript: a 256-character statement after three short columns, three labels.
    const debates = rowWork({
      meanLength: (column) => ({ statement: 256, debate: 2.5, speaker: 5.6, word_count: 1.7 })[column] ?? 0,
      textColumn: "statement",
      columns: ["debate", "speaker", "word_count"],
      longestPrompt: "x".repeat(112),
      labels: 3,
      maxNewTokens: 48,
      guidance: 1.5,
    });
    // 112 characters of prompt, "debate: ", "speaker: ", "word_count: ", "statement: " with line ends (44), values
    // 265.8: 106 tokens, and 20 for the chat template.
    expect(debates.rowTokens).toBe(126);
    expect(debates.textTokens).toBe(64);
    // Each short value and its line end; the statement cut at 48 new tokens.
    expect(debates.sampledTokens).toBe(2 + 3 + 2 + 48);
    expect(debates.streams).toBe(3);
  });

  it("decodes against at most four other labels, and against none without guidance", () => {
    const many = { meanLength: () => 100, textColumn: "t", columns: [], longestPrompt: "p", maxNewTokens: 48 };
    expect(rowWork({ ...many, labels: 12, guidance: 1.5 }).streams).toBe(5);
    expect(rowWork({ ...many, labels: 12, guidance: 0 }).streams).toBe(1);
  });
});

const work = (extra: Partial<Parameters<typeof estimateJob>[1]> = {}) => ({
  trainRows: 2000,
  epochs: 2,
  syntheticRows: 1000,
  baselineRows: 500,
  maxSeqLen: 80,
  row: SNIPPETS,
  ...extra,
});

describe("estimateJob", () => {
  it("adds up the measured stages of the cpu preset's run to the half hour the bench recorded", () => {
    const estimate = estimateJob("smollm2-135m", work());
    expect(estimate?.machine).toBe("2 CPU cores");
    expect(estimate?.source).toBe("bench/results/utility.md");
    // bench/results/utility.md, eps-8: training 585 s, sampling 1,112 s, 1,772 s in all.
    expect(estimate?.stages.training).toBeCloseTo(588, 0);
    expect(estimate?.stages.sampling).toBeCloseTo(1127, 0);
    expect((estimate?.totalS ?? 0) / 60).toBeGreaterThan(28);
    expect((estimate?.totalS ?? 0) / 60).toBeLessThan(32);
  });

  it("scales with the work asked for", () => {
    const one = estimateJob("smollm2-135m", work({ trainRows: 1000, epochs: 1, syntheticRows: 100, baselineRows: 0 }));
    const more = estimateJob("smollm2-135m", work({ trainRows: 1000, epochs: 2, syntheticRows: 200, baselineRows: 0 }));
    expect(more?.stages.training).toBeCloseTo(2 * (one?.stages.training ?? 0));
    expect(more?.stages.sampling).toBeCloseTo(2 * (one?.stages.sampling ?? 0));
  });

  it("charges longer rows and more labels in proportion, training rows only up to the max sequence length", () => {
    const base = estimateJob("smollm2-135m", work());
    const long = { ...SNIPPETS, rowTokens: 2 * SNIPPETS.rowTokens, sampledTokens: 2 * SNIPPETS.sampledTokens };
    const longer = estimateJob("smollm2-135m", work({ row: long, maxSeqLen: 1000 }));
    expect(longer?.stages.training).toBeCloseTo(2 * (base?.stages.training ?? 0));
    expect(longer?.stages.sampling).toBeCloseTo(2 * (base?.stages.sampling ?? 0));
    // Cut at 80 tokens, a long row trains as fast as one of 80.
    const cut = estimateJob("smollm2-135m", work({ row: long }));
    expect(cut?.stages.training).toBeCloseTo(((base?.stages.training ?? 0) * 80) / SNIPPETS.rowTokens);
    const threeLabels = estimateJob("smollm2-135m", work({ row: { ...SNIPPETS, streams: 3 } }));
    expect(threeLabels?.stages.sampling).toBeCloseTo(1.5 * (base?.stages.sampling ?? 0));
  });

  it("gives no estimate for a model nobody measured", () => {
    expect(estimateJob("gpt2-large", work())).toBeNull();
    expect(estimateJob("org/unknown", work())).toBeNull();
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
