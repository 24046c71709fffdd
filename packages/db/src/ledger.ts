import type { Prisma, PrismaClient } from "./generated/client.ts";

/**
 * The privacy ledger of a dataset: append-only RESERVE / CHARGE / RELEASE entries. A job reserves its
 * approved (epsilon, delta) before it may run; charges record what the trainer actually released (they
 * consume the reservation); settlement releases what is left. Budgets compose by basic composition, so
 * epsilons and deltas add.
 *
 * Every change to a dataset's ledger runs in one transaction that first locks the dataset's row, so the
 * changes of one dataset are strictly serial: charges plus open reservations can never exceed the total,
 * however many requests race. We serialise with the row lock rather than SERIALIZABLE isolation and
 * retries because Prisma's pg adapter leaks a pooled connection whenever PostgreSQL aborts a serialisable
 * transaction at commit (seen here: 12 racing requests left the pool unable to close, 20 hung it).
 */

type Tx = Prisma.TransactionClient;

/** Comparisons of sums of floats allow this much rounding. */
const TOLERANCE = 1e-9;
const RESERVATION = "reservation";

export interface Budget {
  epsilonTotal: number;
  delta: number;
  /** Charged so far, over every mechanism and job. */
  spent: number;
  /** Held by jobs that have not been settled. */
  reserved: number;
  remaining: number;
  deltaSpent: number;
  deltaReserved: number;
  deltaRemaining: number;
}

export class BudgetExceededError extends Error {
  constructor(
    readonly requested: { epsilon: number; delta: number },
    readonly budget: Budget,
  ) {
    super(
      `This job asks for epsilon ${requested.epsilon} (delta ${requested.delta}), but the dataset has epsilon ` +
        `${round(budget.remaining)} (delta ${budget.deltaRemaining.toExponential(2)}) left of ${budget.epsilonTotal}: ` +
        `${round(budget.spent)} spent and ${round(budget.reserved)} reserved by running or waiting jobs.`,
    );
    this.name = "BudgetExceededError";
  }
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

interface JobTotals {
  reserve: { epsilon: number; delta: number };
  charge: { epsilon: number; delta: number };
  release: { epsilon: number; delta: number };
}

function emptyTotals(): JobTotals {
  return { reserve: { epsilon: 0, delta: 0 }, charge: { epsilon: 0, delta: 0 }, release: { epsilon: 0, delta: 0 } };
}

function openReservation(totals: JobTotals): { epsilon: number; delta: number } {
  return {
    epsilon: Math.max(0, totals.reserve.epsilon - totals.charge.epsilon - totals.release.epsilon),
    delta: Math.max(0, totals.reserve.delta - totals.charge.delta - totals.release.delta),
  };
}

async function totalsByJob(tx: Tx, where: Prisma.LedgerEntryWhereInput): Promise<Map<string | null, JobTotals>> {
  const groups = await tx.ledgerEntry.groupBy({ by: ["jobId", "kind"], where, _sum: { epsilon: true, delta: true } });
  const byJob = new Map<string | null, JobTotals>();
  for (const group of groups) {
    const totals = byJob.get(group.jobId) ?? emptyTotals();
    const key = group.kind === "RESERVE" ? "reserve" : group.kind === "CHARGE" ? "charge" : "release";
    totals[key] = { epsilon: group._sum.epsilon ?? 0, delta: group._sum.delta ?? 0 };
    byJob.set(group.jobId, totals);
  }
  return byJob;
}

async function readBudget(tx: Tx, datasetId: string): Promise<Budget> {
  const dataset = await tx.dataset.findUniqueOrThrow({
    where: { id: datasetId },
    select: { epsilonTotal: true, deltaTotal: true },
  });
  let spent = 0;
  let reserved = 0;
  let deltaSpent = 0;
  let deltaReserved = 0;
  for (const totals of (await totalsByJob(tx, { datasetId })).values()) {
    const open = openReservation(totals);
    spent += totals.charge.epsilon;
    deltaSpent += totals.charge.delta;
    reserved += open.epsilon;
    deltaReserved += open.delta;
  }
  return {
    epsilonTotal: dataset.epsilonTotal,
    delta: dataset.deltaTotal,
    spent,
    reserved,
    remaining: Math.max(0, dataset.epsilonTotal - spent - reserved),
    deltaSpent,
    deltaReserved,
    deltaRemaining: Math.max(0, dataset.deltaTotal - deltaSpent - deltaReserved),
  };
}

/**
 * Runs `work` in a transaction holding the lock on the dataset's row: one ledger change at a time per dataset.
 * Callers that must commit a ledger change together with rows of their own (control: an event, its charge and
 * the job's status) write those rows with the same `tx` and use the `…In` variants below.
 */
export async function withDatasetLock<T>(
  prisma: PrismaClient,
  datasetId: string,
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  return prisma.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT id FROM "Dataset" WHERE id = ${datasetId} FOR UPDATE`;
      return work(tx);
    },
    { maxWait: 30_000, timeout: 30_000 },
  );
}

/** The dataset whose ledger a job's entries belong to (whose lock `withDatasetLock` must take). */
export async function datasetOfJob(prisma: PrismaClient, jobId: string): Promise<string> {
  return (await prisma.job.findUniqueOrThrow({ where: { id: jobId }, select: { datasetId: true } })).datasetId;
}

/** The dataset's budget: total, spent, reserved and remaining. */
export function budgetOf(prisma: PrismaClient, datasetId: string): Promise<Budget> {
  return withDatasetLock(prisma, datasetId, (tx) => readBudget(tx, datasetId));
}

/**
 * Creates the job and its RESERVE entry together, or neither: throws BudgetExceededError when the
 * request does not fit in what remains.
 */
export function createJobWithReservation(
  prisma: PrismaClient,
  {
    datasetId,
    epsilon,
    delta,
    job,
  }: { datasetId: string; epsilon: number; delta: number; job: Omit<Prisma.JobUncheckedCreateInput, "datasetId"> },
) {
  return withDatasetLock(prisma, datasetId, async (tx) => {
    const budget = await readBudget(tx, datasetId);
    if (epsilon > budget.remaining + TOLERANCE || delta > budget.deltaRemaining + TOLERANCE * 1e-6) {
      throw new BudgetExceededError({ epsilon, delta }, budget);
    }
    const created = await tx.job.create({ data: { ...job, datasetId } });
    await tx.ledgerEntry.create({
      data: { datasetId, jobId: created.id, kind: "RESERVE", mechanism: RESERVATION, epsilon, delta },
    });
    return created;
  });
}

export interface TCharge {
  jobId: string;
  mechanism: string;
  /** Cumulative for the job and mechanism. */
  epsilon: number;
  delta: number;
}

/**
 * Records what the trainer reports it has released through one mechanism. `epsilon` and `delta` are
 * cumulative for the job, so a replayed or repeated report charges nothing new.
 */
export async function chargeSpend(prisma: PrismaClient, charge: TCharge): Promise<{ charged: number }> {
  const datasetId = await datasetOfJob(prisma, charge.jobId);
  return withDatasetLock(prisma, datasetId, (tx) => chargeSpendIn(tx, { datasetId, ...charge }));
}

/** `chargeSpend` inside a transaction that already holds `withDatasetLock(datasetId)` of the job's dataset. */
export async function chargeSpendIn(
  tx: Tx,
  { datasetId, jobId, mechanism, epsilon, delta }: TCharge & { datasetId: string },
): Promise<{ charged: number }> {
  const already = await tx.ledgerEntry.aggregate({
    where: { jobId, kind: "CHARGE", mechanism },
    _sum: { epsilon: true, delta: true },
  });
  const charged = epsilon - (already._sum.epsilon ?? 0);
  const deltaCharged = Math.max(0, delta - (already._sum.delta ?? 0));
  if (charged <= TOLERANCE && deltaCharged <= 0) return { charged: 0 };
  await tx.ledgerEntry.create({
    data: {
      datasetId,
      jobId,
      kind: "CHARGE",
      mechanism,
      epsilon: Math.max(0, charged),
      delta: deltaCharged,
    },
  });
  const total = await tx.ledgerEntry.aggregate({ where: { jobId, kind: "CHARGE" }, _sum: { epsilon: true } });
  await tx.job.update({ where: { id: jobId }, data: { epsilonSpent: total._sum.epsilon ?? 0 } });
  return { charged: Math.max(0, charged) };
}

/**
 * Ends a job's reservation: whatever was reserved and not charged goes back to the dataset. Safe to call
 * more than once; a failed or cancelled job keeps paying for what it charged.
 */
export async function settleJob(prisma: PrismaClient, jobId: string, note?: string): Promise<{ released: number }> {
  const datasetId = await datasetOfJob(prisma, jobId);
  return withDatasetLock(prisma, datasetId, (tx) => settleJobIn(tx, { datasetId, jobId, note }));
}

/** `settleJob` inside a transaction that already holds `withDatasetLock(datasetId)` of the job's dataset. */
export async function settleJobIn(
  tx: Tx,
  { datasetId, jobId, note }: { datasetId: string; jobId: string; note?: string | undefined },
): Promise<{ released: number }> {
  const totals = (await totalsByJob(tx, { jobId })).get(jobId) ?? emptyTotals();
  const open = openReservation(totals);
  if (open.epsilon <= TOLERANCE && open.delta <= 0) return { released: 0 };
  await tx.ledgerEntry.create({
    data: {
      datasetId,
      jobId,
      kind: "RELEASE",
      mechanism: RESERVATION,
      epsilon: open.epsilon,
      delta: open.delta,
      note: note ?? null,
    },
  });
  return { released: open.epsilon };
}
