import type { TTrainerEvent } from "@dpsynth/contracts";
import {
  chargeJobTotalIn,
  chargeSpendIn,
  markRunning,
  type Prisma,
  type PrismaClient,
  settleJobIn,
  type TCharge,
  type TChargeResult,
  type TLedgerRef,
  withJobLedger,
} from "@dpsynth/db";
import { markFinished, settlementNote, type TOutcome } from "./settlement.ts";

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

/**
 * What an event charges to the ledger. A privacy event is cumulative within its run (a replay adds nothing; runs
 * add up). The result's training summary is the accountant's last word on the job's training, every run included:
 * charging what it states beyond the runs' charges (normally nothing) guarantees the ledger never holds less than
 * the report will state.
 */
function chargesOf(event: TTrainerEvent): { charge: TCharge; scope: "run" | "job" }[] {
  const { jobId } = event;
  if (event.type === "privacy") {
    const { mechanism, runId, epsilon, delta } = event;
    return [{ charge: { jobId, mechanism, runId, epsilon, delta }, scope: "run" }];
  }
  if (event.type === "result" && event.training.epsilon !== "inf" && event.training.accountant !== "none") {
    const { runId, epsilon, delta } = event.training;
    return [{ charge: { jobId, mechanism: "dp-sgd", runId, epsilon, delta }, scope: "job" }];
  }
  return [];
}

/** The outcome of a job whose charge the ledger refused: it fails, whatever the event said. */
function refusedOutcome(result: TChargeResult): TOutcome | null {
  return result.refused ? { status: "FAILED", code: "ledger_refused", message: result.refused.message } : null;
}

/** Job-row effects of an event that are not final (final ones go through `markFinished`). */
async function applyProgress(tx: Tx, event: TTrainerEvent): Promise<void> {
  const { jobId, seq } = event;
  switch (event.type) {
    case "stage":
      await markRunning(tx, jobId, { startedAt: new Date(event.ts), data: { stage: event.stage } });
      return;
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
 * What persisting an event did: "refused" means it was persisted but the ledger refused (part of) its charge, so
 * the job was failed and its trainer must be stopped.
 */
export type TPersisted = "persisted" | "duplicate" | "refused";

/**
 * Persists one trainer event exactly once, keyed on (jobId, seq): the JobEvent row, its ledger charge and
 * settlement, MetricPoint, Artifact, stage or final status commit in one transaction, or none of them do (a
 * crash before the commit replays the whole event). An event that changes the ledger runs under the ledger's
 * lock; the others do not take it. Replaying an event, or a whole stream, changes nothing. A charge beyond the
 * job's reservation is refused by the ledger, and the job fails in the same transaction.
 */
export async function persistEvent(prisma: PrismaClient, event: TTrainerEvent): Promise<TPersisted> {
  const key = { jobId_seq: { jobId: event.jobId, seq: event.seq } };
  if (await prisma.jobEvent.findUnique({ where: key, select: { seq: true } })) return "duplicate";
  const charges = chargesOf(event);

  const record = async (tx: Tx, ledger: TLedgerRef | null) => {
    if (await tx.jobEvent.findUnique({ where: key, select: { seq: true } })) return "duplicate" as const;
    let outcome = outcomeOf(event);
    let refused = false;
    if (ledger) {
      for (const { charge, scope } of charges) {
        const result = await (scope === "run" ? chargeSpendIn : chargeJobTotalIn)(tx, ledger, charge);
        const failed = refusedOutcome(result);
        if (failed) [outcome, refused] = [failed, true];
      }
      if (outcome) await settleJobIn(tx, ledger, { jobId: event.jobId, note: settlementNote(outcome) });
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
    return refused ? ("refused" as const) : ("persisted" as const);
  };

  try {
    if (charges.length === 0 && !outcomeOf(event)) return await prisma.$transaction((tx) => record(tx, null));
    return await withJobLedger(prisma, event.jobId, (tx, ledger) => record(tx, ledger));
  } catch (error) {
    // Another consumer (a second control replica) wrote the same (jobId, seq) between our check and insert.
    if ((error as { code?: string }).code === "P2002") return "duplicate";
    throw error;
  }
}
