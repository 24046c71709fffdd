import { describe, expect, it } from "vitest";
import { counts, resultTable, single, summaryLine, totals } from "./suite-results.mjs";

describe("summaryLine", () => {
  it("adds every suite's counts into the one closing line", () => {
    expect(summaryLine([counts(3, 0), counts(2, 1), single(false, "crashed")])).toBe("5 passed, 2 failed");
  });

  it("mentions skipped tests only when there are some", () => {
    expect(summaryLine([counts(1, 0, 2)])).toBe("1 passed, 0 failed, 2 skipped");
    expect(summaryLine([])).toBe("0 passed, 0 failed");
  });
});

describe("totals", () => {
  it("sums passed, failed and skipped separately", () => {
    expect(totals([counts(1, 2, 3), counts(10, 20, 30)])).toEqual({ passed: 11, failed: 22, skipped: 33 });
  });
});

describe("resultTable", () => {
  it("lists each suite with its counts, time and the reason it failed", () => {
    const table = resultTable([
      { name: "biome check", ...single(true), seconds: 1.234 },
      { name: "pytest", ...single(false, "pytest collected no tests"), seconds: 2 },
    ]);
    const lines = table.split("\n");
    expect(lines[1]).toMatch(/^biome check\s+1\s+0\s+0\s+1\.2s$/);
    expect(lines[2]).toMatch(/^pytest\s+0\s+1\s+0\s+2\.0s$/);
    expect(lines[3]).toContain("↳ pytest collected no tests");
  });
});
