import type { TJobWire } from "@/components/api/wire-types";

type TOutcome = TJobWire["outcome"];

const LOOK: Record<TOutcome, { label: string; tone: string }> = {
  "pending-approval": { label: "Needs approval", tone: "badge-warning" },
  queued: { label: "Queued", tone: "badge-info" },
  running: { label: "Running", tone: "badge-accent badge-running" },
  succeeded: { label: "Succeeded", tone: "badge-success" },
  "succeeded-with-warnings": { label: "Succeeded with warnings", tone: "badge-warning" },
  failed: { label: "Failed", tone: "badge-danger" },
  cancelled: { label: "Cancelled", tone: "" },
  rejected: { label: "Rejected", tone: "badge-danger" },
};

/** How the dashboard names an outcome: a shortfall reads "Succeeded with warnings", never "Succeeded". */
export function outcomeLabel(outcome: TOutcome): string {
  return LOOK[outcome]?.label ?? outcome;
}

/** A job's outcome as a badge; `data-status` keeps the stored status, `data-outcome` what it means. */
export function StatusBadge({ job }: { job: Pick<TJobWire, "status" | "outcome" | "stage"> }) {
  const look = LOOK[job.outcome] ?? { label: job.outcome, tone: "" };
  const showStage = job.status === "RUNNING" && job.stage && job.stage !== "done";
  return (
    <span className={`badge ${look.tone}`} data-status={job.status} data-outcome={job.outcome}>
      {look.label}
      {showStage ? ` · ${job.stage}` : ""}
    </span>
  );
}
