import type { JobStatus } from "@dpsynth/db";

const LOOK: Record<JobStatus, { label: string; tone: string }> = {
  PENDING_APPROVAL: { label: "Needs approval", tone: "badge-warning" },
  QUEUED: { label: "Queued", tone: "badge-info" },
  RUNNING: { label: "Running", tone: "badge-accent badge-running" },
  SUCCEEDED: { label: "Succeeded", tone: "badge-success" },
  FAILED: { label: "Failed", tone: "badge-danger" },
  CANCELLED: { label: "Cancelled", tone: "" },
  REJECTED: { label: "Rejected", tone: "badge-danger" },
};

export function statusLabel(status: JobStatus): string {
  return LOOK[status]?.label ?? status;
}

export function StatusBadge({ status, stage }: { status: JobStatus; stage?: string | null }) {
  const look = LOOK[status] ?? { label: status, tone: "" };
  const showStage = status === "RUNNING" && stage && stage !== "done";
  return (
    <span className={`badge ${look.tone}`} data-status={status}>
      {look.label}
      {showStage ? ` · ${stage}` : ""}
    </span>
  );
}
