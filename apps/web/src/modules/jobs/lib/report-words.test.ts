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

const withBaseline: TReport = {
  ...fixture,
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
  it("compares synthetic with real on the classifier that does best on real rows, and with chance", () => {
    expect(utilitySentence(fixture)).toBe(
      "Trained on the synthetic rows, a sentence-meaning classifier labels 50% of the real held-out rows " +
        "correctly; trained on your real rows, 72% (synthetic reaches 70% of real); guessing would get about 50%.",
    );
  });

  it("adds the prior-only baseline when it ran", () => {
    expect(utilitySentence(withBaseline)).toMatch(/prior-only baseline, no privacy cost\) reach 55%; guessing/);
    expect(faithfulnessSentence(withBaseline)).toBe(
      "38% of the synthetic rows read as the label they were written for, judged by a classifier trained on your " +
        "real rows (prior-only baseline: 50%).",
    );
    expect(faithfulnessSentence(fixture)).not.toMatch(/baseline/);
  });

  it("has no sentence without classifiers, and a plain label for every verdict", () => {
    expect(utilitySentence({ ...fixture, utility: [] })).toBeNull();
    expect(["useful", "weak", "not-useful", "no-rows"].map((v) => verdictLook(v as never).label)).toEqual([
      "Useful",
      "Weak",
      "Not useful",
      "No rows",
    ]);
  });
});
