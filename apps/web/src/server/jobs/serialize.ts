import "server-only";
import type { TJobSpec } from "@dpsynth/contracts";
import type { Prisma } from "@dpsynth/db";
import { jobOutcome } from "./outcome.ts";
import type { TJob } from "./schemas.ts";

/** What a job answer reads from the database. */
export const JOB_INCLUDE = {
  dataset: { select: { id: true, name: true } },
  requester: { select: { id: true, email: true, name: true } },
  artifacts: { select: { name: true, bytes: true, sha256: true }, orderBy: { name: "asc" } },
  approval: { select: { decision: true, reason: true, adminId: true, createdAt: true } },
} as const;

type TJobRow = Prisma.JobGetPayload<{ include: typeof JOB_INCLUDE }>;

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function jobWire(row: TJobRow): TJob {
  const rows =
    row.rowsRequested === null || row.rowsProduced === null
      ? null
      : { requested: row.rowsRequested, produced: row.rowsProduced };
  const warnings = row.warnings as string[];
  return {
    id: row.id,
    datasetId: row.datasetId,
    dataset: row.dataset,
    requester: row.requester,
    status: row.status,
    outcome: jobOutcome({ status: row.status, rows, warnings }),
    rows,
    warnings,
    stage: row.stage,
    epsilon: row.epsilon,
    delta: row.delta,
    epsilonSpent: row.epsilonSpent,
    decisionNote: row.decisionNote,
    attempts: row.attempts,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    cancelRequested: row.cancelRequestedAt !== null,
    metrics: row.metrics as TJob["metrics"],
    spec: row.spec as TJobSpec,
    artifacts: row.artifacts.filter((artifact) => artifact.name !== "model") as TJob["artifacts"],
    approval: row.approval ? { ...row.approval, createdAt: row.approval.createdAt.toISOString() } : null,
    createdAt: row.createdAt.toISOString(),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}
