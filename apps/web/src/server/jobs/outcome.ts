import { JOB_STATUSES } from "@dpsynth/db/job-lifecycle";
import { z } from "zod";

/** A job's lifecycle status, as PostgreSQL stores it (prisma/schema.prisma's JobStatus). */
export const ZJobStatus = z.enum(JOB_STATUSES);
export type TJobStatus = z.infer<typeof ZJobStatus>;

/**
 * What a job's status means to its owner. It is the status, except that a job which ended SUCCEEDED but delivered
 * fewer rows than asked, or carries warnings, is "succeeded-with-warnings": a job that could not deliver what was
 * asked never reads as plain success.
 */
export const ZJobOutcome = z.enum([
  "pending-approval",
  "queued",
  "running",
  "succeeded",
  "succeeded-with-warnings",
  "failed",
  "cancelled",
  "rejected",
]);
export type TJobOutcome = z.infer<typeof ZJobOutcome>;

const OUTCOME_OF_STATUS: Record<TJobStatus, TJobOutcome> = {
  PENDING_APPROVAL: "pending-approval",
  QUEUED: "queued",
  RUNNING: "running",
  SUCCEEDED: "succeeded",
  FAILED: "failed",
  CANCELLED: "cancelled",
  REJECTED: "rejected",
};

/** The one rule from a job's stored status, rows and warnings to its outcome. */
export function jobOutcome(job: {
  status: TJobStatus;
  rows: { requested: number; produced: number } | null;
  warnings: readonly string[];
}): TJobOutcome {
  const outcome = OUTCOME_OF_STATUS[job.status];
  if (outcome !== "succeeded") return outcome;
  const shortfall = job.rows !== null && job.rows.produced < job.rows.requested;
  return shortfall || job.warnings.length > 0 ? "succeeded-with-warnings" : "succeeded";
}
