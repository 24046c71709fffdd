import { describe, expect, it } from "vitest";
import { requestWarnings } from "./request-warnings.ts";

/** A request sized to its data: nothing to say. */
const FITTING = {
  trainRows: 2_000,
  preset: "cpu",
  logicalBatchSize: undefined,
  maxSeqLen: undefined,
  maxNewTokens: undefined,
  syntheticRows: 1_000,
  rowWork: { rowTokens: 60, textTokens: 20 },
  textColumn: "review",
} as const;

describe("requestWarnings", () => {
  it("warns when the reference preset's batch and rows dwarf a small dataset", () => {
    const warnings = requestWarnings({ ...FITTING, trainRows: 480, preset: "reference", syntheticRows: 25_000 });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/logical batch \(1,024 rows\) is larger than the dataset's 480 training rows/);
    expect(warnings[1]).toMatch(/25,000 synthetic rows is more than 10 times the 480 training rows/);
  });

  it("says nothing for a request sized to its data, and follows the owner's batch over the preset's", () => {
    expect(requestWarnings(FITTING)).toEqual([]);
    // No quote yet: nothing is said about row lengths.
    expect(requestWarnings({ ...FITTING, rowWork: undefined })).toEqual([]);
    expect(
      requestWarnings({ ...FITTING, trainRows: 480, preset: "reference", logicalBatchSize: 64, syntheticRows: 400 }),
    ).toEqual([]);
  });

  it("warns that long rows would be cut at the preset's sequence length, and suggests a length that fits", () => {
    // The CPU preset reads 80 tokens a row: a debate transcript's rows come to about 130 with their prompt.
    const [warning] = requestWarnings({ ...FITTING, rowWork: { rowTokens: 130, textTokens: 40 } });
    expect(warning).toMatch(/about 130 tokens on average, more than the max sequence length of 80/);
    expect(warning).toMatch(/most rows would be cut short for training/);
    expect(warning).toMatch(/Raise the max sequence length under Hyper-parameters to about 176/);
    // The owner's own length wins over the preset's.
    expect(requestWarnings({ ...FITTING, maxSeqLen: 192, rowWork: { rowTokens: 130, textTokens: 40 } })).toEqual([]);
  });

  it("warns that synthetic texts would stop early when the text is longer than the tokens sampled per row", () => {
    const [warning] = requestWarnings({ ...FITTING, maxSeqLen: 256, rowWork: { rowTokens: 130, textTokens: 64 } });
    expect(warning).toMatch(/text column “review” averages about 64 tokens, but synthetic texts stop at 48/);
    expect(warning).toMatch(/to about 80\.$/);
    expect(
      requestWarnings({ ...FITTING, maxSeqLen: 256, maxNewTokens: 96, rowWork: { rowTokens: 130, textTokens: 64 } }),
    ).toEqual([]);
  });
});
