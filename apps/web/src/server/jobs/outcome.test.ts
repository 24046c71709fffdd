import { describe, expect, it } from "vitest";
import { jobOutcome, ZJobStatus } from "./outcome.ts";

describe("jobOutcome", () => {
  const finished = { rows: { requested: 100, produced: 100 }, warnings: [] };

  it("reads a succeeded job that delivered every row, without warnings, as plain success", () => {
    expect(jobOutcome({ status: "SUCCEEDED", ...finished })).toBe("succeeded");
  });

  it("never reads a job that delivered fewer rows than asked as plain success, with or without warnings", () => {
    const rows = { requested: 100, produced: 37 };
    expect(jobOutcome({ status: "SUCCEEDED", rows, warnings: [] })).toBe("succeeded-with-warnings");
    expect(jobOutcome({ status: "SUCCEEDED", rows, warnings: ["Only 37 of 100 rows."] })).toBe(
      "succeeded-with-warnings",
    );
  });

  it("reads any warning as succeeded with warnings, even with every row delivered", () => {
    const warnings = ["The transformer classifier needs a GPU and was skipped."];
    expect(jobOutcome({ status: "SUCCEEDED", rows: finished.rows, warnings })).toBe("succeeded-with-warnings");
  });

  it("gives every other status its own outcome, whatever the rows say", () => {
    const outcomes = ZJobStatus.options
      .filter((status) => status !== "SUCCEEDED")
      .map((status) => jobOutcome({ status, rows: { requested: 10, produced: 0 }, warnings: ["x"] }));
    expect(outcomes).toEqual(["pending-approval", "queued", "running", "failed", "cancelled", "rejected"]);
  });
});
