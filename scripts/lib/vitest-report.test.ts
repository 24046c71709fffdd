import { describe, expect, it } from "vitest";
import { countsFromVitest } from "./vitest-report.mjs";

const report = (testResults: unknown[], totals: Record<string, number>) => ({
  numPassedTests: 0,
  numFailedTests: 0,
  numPendingTests: 0,
  numTodoTests: 0,
  ...totals,
  testResults,
});

describe("countsFromVitest", () => {
  it("takes passed, failed and skipped tests from the report", () => {
    const counts = countsFromVitest(
      report([{ name: "a.test.ts", status: "failed", assertionResults: [{ status: "failed" }] }], {
        numPassedTests: 7,
        numFailedTests: 1,
        numPendingTests: 2,
        numTodoTests: 1,
      }),
      1,
    );
    expect(counts).toMatchObject({ passed: 7, failed: 1, skipped: 3, notes: [] });
  });

  it("counts a file that failed before any test ran as one failure, with its message", () => {
    const counts = countsFromVitest(
      report(
        [
          {
            name: "/repo/b.test.ts",
            status: "failed",
            message: "Cannot find module 'x'\n  at ...",
            assertionResults: [],
          },
        ],
        {
          numPassedTests: 4,
        },
      ),
      1,
    );
    expect(counts.failed).toBe(1);
    expect(counts.notes).toEqual(["/repo/b.test.ts: Cannot find module 'x'"]);
  });

  it("counts a non-zero exit without failed tests as one failure", () => {
    const counts = countsFromVitest(report([], { numPassedTests: 4 }), 1);
    expect(counts).toMatchObject({ passed: 4, failed: 1 });
    expect(counts.notes[0]).toContain("exited with code 1");
  });
});
