import { readFileSync } from "node:fs";
import { type TReport, ZReport } from "@dpsynth/contracts";
import { describe, expect, it } from "vitest";
import { faithfulnessSentence, utilitySentence, verdictLook } from "./report-words.ts";

const fixture = ZReport.parse(
  JSON.parse(
    readFileSync(
      new URL("../../../../../../packages/contracts/fixtures/valid/report.tiny-llama-cpu.json", import.meta.url),
      "utf8",
    ),
  ),
);

/** The fixture with scores of its own, so that the sentences below do not follow the fixture's numbers. */
const report: TReport = {
  ...fixture,
  utility: [
    {
      classifier: "tfidf",
      real: { accuracy: 0.63, macroF1: 0.6 },
      synthetic: { accuracy: 0.52, macroF1: 0.5 },
      ratio: { accuracy: 0.825, macroF1: 0.83 },
    },
    {
      classifier: "embedding",
      real: { accuracy: 0.72, macroF1: 0.7 },
      synthetic: { accuracy: 0.5, macroF1: 0.45 },
      ratio: { accuracy: 0.694, macroF1: 0.64 },
    },
  ],
  labelFaithfulness: { classifier: "tfidf", agreement: 0.38, byClassifier: { tfidf: 0.38 } },
  fidelity: {
    ...fixture.fidelity,
    labelBalance: { ...fixture.fidelity.labelBalance, real: { fresh: 0.51, rotten: 0.49 } },
  },
  baseline: null,
};

const withBaseline: TReport = {
  ...report,
  baseline: {
    rows: 60,
    acceptanceRate: 0.8,
    utility: [
      { classifier: "embedding", synthetic: { accuracy: 0.55, macroF1: 0.5 }, ratio: { accuracy: 0.77, macroF1: 0.7 } },
    ],
    labelFaithfulness: { classifier: "tfidf", agreement: 0.5, byClassifier: { tfidf: 0.5 } },
  },
};

describe("the report in words", () => {
  it("compares synthetic with real on the classifier that does best on real rows, and with guessing", () => {
    expect(utilitySentence(report)).toBe(
      "Trained on the synthetic rows, a sentence-meaning classifier labels 50% of the real held-out rows " +
        "correctly; trained on your real rows, 72% (synthetic reaches 69% of real); always guessing the most " +
        "common label would get about 51%.",
    );
  });

  it("adds the prior-only baseline when it ran", () => {
    expect(utilitySentence(withBaseline)).toMatch(/prior-only baseline, no privacy cost\) reach 55%; always guessing/);
    expect(faithfulnessSentence(withBaseline)).toBe(
      "38% of the synthetic rows read as the label they were written for, judged by a classifier trained on your " +
        "real rows (prior-only baseline: 50%).",
    );
    expect(faithfulnessSentence(report)).not.toMatch(/baseline/);
  });

  it("has no sentence without classifiers, and a plain label for every verdict", () => {
    expect(utilitySentence({ ...report, utility: [] })).toBeNull();
    expect(["useful", "weak", "not-useful", "no-rows"].map((v) => verdictLook(v as never).label)).toEqual([
      "Useful",
      "Weak",
      "Not useful",
      "No rows",
    ]);
  });
});
