import {
  IN_FLIGHT_JOB_STATUSES,
  isInFlightJobStatus,
  type Prisma,
  type PrismaClient,
  settleJobIn,
  transitionJob,
  withJobLedger,
} from "@dpsynth/db";

type Tx = Prisma.TransactionClient;

/** How a job ended, as control records it. */
export type TOutcome =
  | {
      status: "SUCCEEDED";
      metrics: Record<string, number>;
      /** Rows asked for and delivered: fewer delivered still succeeds, and the job's outcome shows the shortfall. */
      rows: { requested: number; produced: number };
      warnings: string[];
    }
  | { status: "FAILED"; code: string; message: string }
  | { status: "CANCELLED" };

/** The note on the RELEASE entry that settles a job with this outcome. */
export function settlementNote(outcome: TOutcome): string {
  return `settled: ${outcome.status.toLowerCase()}`;
}

/** Writes the final status inside `tx` unless the job already ended; says whether this call ended it. */
export function markFinished(tx: Tx, jobId: string, outcome: TOutcome): Promise<boolean> {
  const data: Prisma.JobUpdateManyMutationInput =
    outcome.status === "SUCCEEDED"
      ? {
          metrics: outcome.metrics,
          rowsRequested: outcome.rows.requested,
          rowsProduced: outcome.rows.produced,
          warnings: outcome.warnings,
        }
      : outcome.status === "FAILED"
        ? { errorCode: outcome.code, errorMessage: outcome.message }
        : {};
  // Control ends only the jobs it follows: one still waiting for approval is the web's to end.
  return transitionJob(tx, jobId, outcome.status, { from: IN_FLIGHT_JOB_STATUSES, data });
}

/**
 * Ends a job: releases what it reserved and did not spend, and writes its final status, in one transaction
 * under the dataset's ledger lock, so no crash leaves a finished job holding budget. Settling is idempotent (the
 * ledger computes the open remainder), so a second path that saw the same end releases nothing. A failed or
 * cancelled job keeps the CHARGE entries of the steps it took.
 */
export async function finishJob(prisma: PrismaClient, jobId: string, outcome: TOutcome): Promise<boolean> {
  return withJobLedger(prisma, jobId, async (tx, ledger) => {
    await settleJobIn(tx, ledger, { jobId, note: settlementNote(outcome) });
    return markFinished(tx, jobId, outcome);
  });
}

/**
 * Ends a job on evidence from outside its event stream (BullMQ gave up on it, the queue lost it, a queued
 * job was cancelled): first every event still in its stream is persisted, so the steps it reported are
 * charged before the reservation is released; then `decide` names the outcome, unless the stream already
 * ended the job.
 */
export async function closeJob(
  deps: { prisma: PrismaClient; drain: (jobId: string) => Promise<void> },
  jobId: string,
  decide: (job: { id: string; cancelRequestedAt: Date | null }) => Promise<TOutcome> | TOutcome,
): Promise<boolean> {
  await deps.drain(jobId);
  const job = await deps.prisma.job.findUnique({
    where: { id: jobId },
    select: { id: true, status: true, cancelRequestedAt: true },
  });
  if (!job || !isInFlightJobStatus(job.status)) return false;
  return finishJob(deps.prisma, jobId, await decide(job));
}
