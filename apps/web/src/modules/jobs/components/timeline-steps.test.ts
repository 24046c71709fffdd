import { describe, expect, it } from "vitest";
import type { TJobWire } from "@/components/api/wire-types";
import { timelineSteps } from "./timeline-steps";

function job(overrides: Partial<TJobWire>): TJobWire {
  return { status: "QUEUED", stage: null, approval: null, ...overrides } as TJobWire;
}

const states = (value: TJobWire) => timelineSteps(value).map((step) => `${step.key}:${step.state}`);

describe("timelineSteps", () => {
  it("shows no approval step for a job within the allowance", () => {
    expect(states(job({ status: "QUEUED" }))).toEqual([
      "requested:done",
      "queued:current",
      "training:todo",
      "sampling:todo",
      "evaluating:todo",
      "finished:todo",
    ]);
  });

  it("puts a waiting request at the approval step", () => {
    expect(states(job({ status: "PENDING_APPROVAL" })).slice(0, 3)).toEqual([
      "requested:done",
      "approval:current",
      "queued:todo",
    ]);
  });

  it("marks a rejected request as stopped at approval", () => {
    const steps = timelineSteps(job({ status: "REJECTED" }));
    expect(steps[1]).toMatchObject({ key: "approval", label: "Rejected", state: "failed" });
  });

  it("follows a running job's stage after approval", () => {
    const approved = { decision: "APPROVED", reason: "ok", adminId: "a", createdAt: "2026-01-01T00:00:00Z" } as const;
    expect(states(job({ status: "RUNNING", stage: "sampling", approval: approved }))).toEqual([
      "requested:done",
      "approval:done",
      "queued:done",
      "training:done",
      "sampling:current",
      "evaluating:todo",
      "finished:todo",
    ]);
  });

  it("marks the stage where a failed job stopped", () => {
    const steps = timelineSteps(job({ status: "FAILED", stage: "training" }));
    expect(steps.find((step) => step.state === "failed")).toMatchObject({ key: "training", label: "Failed" });
  });

  it("marks every step done for a succeeded job", () => {
    expect(timelineSteps(job({ status: "SUCCEEDED", stage: "done" })).every((step) => step.state === "done")).toBe(
      true,
    );
  });
});
