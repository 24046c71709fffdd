import type { TTrainerEvent } from "@dpsynth/contracts";
import {
  chargeSpendIn,
  datasetOfJob,
  type Prisma,
  type PrismaClient,
  settleJobIn,
  type TCharge,
  withDatasetLock,
} from "@dpsynth/db";
import { markFinished, OPEN_STATUSES, settlementNote, type TOutcome } from "./settlement.ts";

type Tx = Prisma.TransactionClient;

/** The final outcome an event announces, or null when the job goes on. */
export function outcomeOf(event: TTrainerEvent): TOutcome | null {
  if (event.type === "result") {
    return { status: "SUCCEEDED", metrics: event.metrics, rows: event.rows, warnings: event.warnings };
  }
  if (event.type !== "error" || event.retryable) return null;
  if (event.code === "cancelled") return { status: "CANCELLED" };
  return { status: "FAILED", code: event.code, message: event.message };
}

/** What an event charges to the dataset's ledger (cumulative per job and mechanism, so a replay adds nothing). */
function chargesOf(event: TTrainerEvent): TCharge[] {
  const { jobId } = event;
  if (event.type === "privacy") {
    return [{ jobId, mechanism: event.mechanism, epsilon: event.epsilon, delta: event.delta }];
  }
  // The summary is the accountant's last word on training: charging it (cumulatively, so normally nothing
  // new) guarantees the ledger never holds less than what the report will state.
  if (event.type === "result" && event.training.epsilon !== "inf" && event.training.accountant !== "none") {
    return [{ jobId, mechanism: "dp-sgd", epsilon: event.training.epsilon, delta: event.training.delta }];
  }
  return [];
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
 * Persists one trainer event exactly once, keyed on (jobId, seq): the JobEvent row, its ledger charge and
 * settlement, MetricPoint, Artifact, stage or final status commit in one transaction, or none of them do (a
 * crash before the commit replays the whole event). An event that changes the ledger runs under the dataset's
 * ledger lock; the others do not take it. Replaying an event, or a whole stream, changes nothing.
 */
export async function persistEvent(prisma: PrismaClient, event: TTrainerEvent): Promise<"persisted" | "duplicate"> {
  const key = { jobId_seq: { jobId: event.jobId, seq: event.seq } };
  if (await prisma.jobEvent.findUnique({ where: key, select: { seq: true } })) return "duplicate";
  const outcome = outcomeOf(event);
  const charges = chargesOf(event);

  const record = async (tx: Tx, datasetId: string | null) => {
    if (await tx.jobEvent.findUnique({ where: key, select: { seq: true } })) return "duplicate" as const;
    if (datasetId) {
      for (const charge of charges) await chargeSpendIn(tx, { datasetId, ...charge });
      if (outcome) await settleJobIn(tx, { datasetId, jobId: event.jobId, note: settlementNote(outcome) });
    }
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
  };

  try {
    if (charges.length === 0 && !outcome) return await prisma.$transaction((tx) => record(tx, null));
    const datasetId = await datasetOfJob(prisma, event.jobId);
    return await withDatasetLock(prisma, datasetId, (tx) => record(tx, datasetId));
  } catch (error) {
    // Another consumer (a second control replica) wrote the same (jobId, seq) between our check and insert.
    if ((error as { code?: string }).code === "P2002") return "duplicate";
    throw error;
  }
}
