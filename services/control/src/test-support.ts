import { randomBytes } from "node:crypto";
import type { TTrainerEvent } from "@dpsynth/contracts";
import { createJobWithReservation, createLedger, type PrismaClient } from "@dpsynth/db";

/**
 * A fresh owner (no allowance limit), dataset (budget epsilon 10, a ledger of its own) and a QUEUED job reserving
 * `epsilon`, as the web creates them.
 */
export async function seedJob(
  prisma: PrismaClient,
  { epsilon = 3, delta = 1e-5, spec = {} }: { epsilon?: number; delta?: number; spec?: object } = {},
) {
  const tag = randomBytes(4).toString("hex");
  const owner = await prisma.user.create({
    data: { email: `owner-${tag}@example.test`, name: "Owner", epsilonAllowance: 1000 },
  });
  const ledgerId = await createLedger(prisma, { epsilonTotal: 10, deltaTotal: 1e-3 });
  const dataset = await prisma.dataset.create({
    data: {
      ownerId: owner.id,
      name: "reviews",
      columns: [],
      textColumn: "text",
      labelColumn: "label",
      delimiter: ",",
      trainRows: 40,
      holdoutRows: 10,
      labelCounts: {},
      holdoutFraction: 0.2,
      splitSeed: 1,
      trainBlobKey: "train",
      holdoutBlobKey: "holdout",
      ledgerId,
    },
  });
  const { job } = await createJobWithReservation(prisma, {
    datasetId: dataset.id,
    requester: owner,
    epsilon,
    delta,
    job: { spec, epsilon, delta },
  });
  return job;
}

type TEventBody = TTrainerEvent extends infer E
  ? E extends TTrainerEvent
    ? Omit<E, "schemaVersion" | "jobId" | "seq" | "ts" | "attempt">
    : never
  : never;

/** A contract-valid trainer event for `jobId`. */
export function trainerEvent(jobId: string, seq: number, body: TEventBody, attempt = 1): TTrainerEvent {
  return { schemaVersion: 1, jobId, seq, ts: new Date().toISOString(), attempt, ...body } as TTrainerEvent;
}

/** The ledger of one job, summed per kind (and per mechanism for charges). */
export async function ledgerOf(prisma: PrismaClient, jobId: string) {
  const entries = await prisma.ledgerEntry.findMany({ where: { jobId }, orderBy: { createdAt: "asc" } });
  const sum = (kind: string, mechanism?: string) =>
    entries
      .filter((e) => e.kind === kind && (!mechanism || e.mechanism === mechanism))
      .reduce((total, e) => total + e.epsilon, 0);
  return {
    entries,
    reserved: sum("RESERVE"),
    charged: sum("CHARGE"),
    chargedBy: (mechanism: string) => sum("CHARGE", mechanism),
    released: sum("RELEASE"),
    chargeCount: entries.filter((e) => e.kind === "CHARGE").length,
    releaseCount: entries.filter((e) => e.kind === "RELEASE").length,
  };
}
