import type { TTrainerEvent } from "@dpsynth/contracts";
import { chargeSpend, type Prisma, type PrismaClient } from "@dpsynth/db";
import { markFinished, OPEN_STATUSES, releaseReservation, type TOutcome } from "./settlement.ts";

type Tx = Prisma.TransactionClient;

/** The final outcome an event announces, or null when the job goes on. */
export function outcomeOf(event: TTrainerEvent): TOutcome | null {
  if (event.type === "result") return { status: "SUCCEEDED", metrics: event.metrics };
  if (event.type !== "error" || event.retryable) return null;
  if (event.code === "cancelled") return { status: "CANCELLED" };
  return { status: "FAILED", code: event.code, message: event.message };
}

/**
 * Ledger effects of an event. The ledger functions run their own serialisable transactions and are
 * idempotent by construction (charges are cumulative per job and mechanism; settlement releases only what is
 * still open), so they run before the event's row is written: a crash in between replays the event, and
 * the replay charges and releases nothing new.
 */
async function applyLedger(prisma: PrismaClient, event: TTrainerEvent, outcome: TOutcome | null): Promise<void> {
  if (event.type === "privacy") {
    await chargeSpend(prisma, {
      jobId: event.jobId,
      mechanism: event.mechanism,
      epsilon: event.epsilon,
      delta: event.delta,
    });
  }
  // The summary is the accountant's last word on training: charging it (cumulatively, so normally nothing
  // new) guarantees the ledger never holds less than what the report will state.
  if (event.type === "result" && event.training.epsilon !== "inf" && event.training.accountant !== "none") {
    await chargeSpend(prisma, {
      jobId: event.jobId,
      mechanism: "dp-sgd",
      epsilon: event.training.epsilon,
      delta: event.training.delta,
    });
  }
  if (outcome) await releaseReservation(prisma, event.jobId, outcome);
}

/** Job-row effects of an event that are not final (final ones go through `markFinished`). */
async function applyProgress(tx: Tx, event: TTrainerEvent): Promise<void> {
  const { jobId, seq } = event;
  switch (event.type) {
    case "stage": {
      const open = { id: jobId, status: { in: [...OPEN_STATUSES] } };
      await tx.job.updateMany({ where: open, data: { status: "RUNNING", stage: event.stage } });
      await tx.job.updateMany({ where: { ...open, startedAt: null }, data: { startedAt: new Date(event.ts) } });
      return;
    }
    case "metric":
      await tx.metricPoint.create({
        data: {
          jobId,
          seq,
          step: event.step,
          epoch: event.epoch,
          epsilon: event.values["privacy/epsilon"] ?? null,
          loss: event.values["train/loss"] ?? null,
          values: event.values,
        },
      });
      return;
    case "artifact": {
      // A retried attempt writes its artifacts again; the last one written is the one to download.
      const artifact = { blobKey: event.uri, bytes: event.bytes, sha256: event.sha256 };
      await tx.artifact.upsert({
        where: { jobId_name: { jobId, name: event.name } },
        create: { jobId, name: event.name, ...artifact },
        update: artifact,
      });
      return;
    }
    default:
      return;
  }
}

/**
 * Persists one trainer event exactly once, keyed on (jobId, seq): the JobEvent row, its MetricPoint,
 * Artifact, stage or final status, in one transaction; ledger charges and settlement just before it (see
 * `applyLedger`). Replaying an event, or a whole stream, changes nothing.
 */
export async function persistEvent(prisma: PrismaClient, event: TTrainerEvent): Promise<"persisted" | "duplicate"> {
  const key = { jobId_seq: { jobId: event.jobId, seq: event.seq } };
  if (await prisma.jobEvent.findUnique({ where: key, select: { seq: true } })) return "duplicate";
  const outcome = outcomeOf(event);
  await applyLedger(prisma, event, outcome);
  try {
    return await prisma.$transaction(async (tx) => {
      if (await tx.jobEvent.findUnique({ where: key, select: { seq: true } })) return "duplicate" as const;
      await tx.jobEvent.create({
        data: { jobId: event.jobId, seq: event.seq, type: event.type, payload: event as Prisma.InputJsonObject },
      });
      await applyProgress(tx, event);
      if (outcome) await markFinished(tx, event.jobId, outcome);
      await tx.job.updateMany({
        where: { id: event.jobId, lastEventSeq: { lt: event.seq } },
        data: { lastEventSeq: event.seq },
      });
      return "persisted" as const;
    });
  } catch (error) {
    // Another consumer (a second control replica) wrote the same (jobId, seq) between our check and insert.
    if ((error as { code?: string }).code === "P2002") return "duplicate";
    throw error;
  }
}
