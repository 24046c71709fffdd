import { describe, expect, it } from "vitest";
import { requestWarnings } from "./request-warnings.ts";

describe("requestWarnings", () => {
  it("warns when the reference preset's batch and rows dwarf a small dataset", () => {
    const warnings = requestWarnings({
      trainRows: 480,
      preset: "reference",
      logicalBatchSize: undefined,
      syntheticRows: 25_000,
    });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/logical batch \(1,024 rows\) is larger than the dataset's 480 training rows/);
    expect(warnings[1]).toMatch(/25,000 synthetic rows is more than 10 times the 480 training rows/);
  });

  it("says nothing for a request sized to its data, and follows the owner's batch over the preset's", () => {
    expect(
      requestWarnings({ trainRows: 2_000, preset: "cpu", logicalBatchSize: undefined, syntheticRows: 1_000 }),
    ).toEqual([]);
    expect(requestWarnings({ trainRows: 480, preset: "reference", logicalBatchSize: 64, syntheticRows: 400 })).toEqual(
      [],
    );
  });
});
