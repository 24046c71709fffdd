import type { TJobWire } from "@/components/api/wire-types";

export type TStepState = "done" | "current" | "failed" | "todo";
export type TStep = { key: string; label: string; state: TStepState };

const RUN_STEPS = [
  { key: "queued", label: "Queued" },
  { key: "training", label: "Training" },
  { key: "sampling", label: "Sampling" },
  { key: "evaluating", label: "Evaluating" },
  { key: "finished", label: "Finished" },
] as const;

/** Where in RUN_STEPS the job is (or stopped). */
function runPosition(job: TJobWire): number {
  if (job.status === "SUCCEEDED") return RUN_STEPS.length;
  if (job.status === "QUEUED" || job.status === "PENDING_APPROVAL" || job.status === "REJECTED") return 0;
  switch (job.stage) {
    case "sampling":
      return 2;
    case "evaluating":
      return 3;
    case "done":
      return 4;
    case "loading":
    case "training":
      return 1;
    default:
      return job.status === "RUNNING" ? 1 : 0;
  }
}

/** Requested → (approval) → queued → training → sampling → evaluating → finished, each done, current, stopped or to do. */
export function timelineSteps(job: TJobWire): TStep[] {
  const steps: TStep[] = [{ key: "requested", label: "Requested", state: "done" }];
  const neededApproval = job.status === "PENDING_APPROVAL" || job.status === "REJECTED" || Boolean(job.approval);
  if (neededApproval) {
    const state: TStepState =
      job.status === "PENDING_APPROVAL" ? "current" : job.status === "REJECTED" ? "failed" : "done";
    steps.push({ key: "approval", label: job.status === "REJECTED" ? "Rejected" : "Approval", state });
  }
  if (job.status === "PENDING_APPROVAL" || job.status === "REJECTED") {
    return [...steps, ...RUN_STEPS.map((step) => ({ ...step, state: "todo" as const }))];
  }
  const position = runPosition(job);
  const stopped = job.status === "FAILED" || job.status === "CANCELLED";
  return [
    ...steps,
    ...RUN_STEPS.map((step, index): TStep => {
      if (index < position) return { ...step, state: "done" };
      if (index === position) {
        if (stopped) return { ...step, label: job.status === "FAILED" ? "Failed" : "Cancelled", state: "failed" };
        return { ...step, state: "current" };
      }
      return { ...step, state: "todo" };
    }),
  ];
}
