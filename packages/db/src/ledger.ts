import { randomUUID } from "node:crypto";
import type { Prisma, PrismaClient } from "./generated/client.ts";
import type { TInitialJobStatus, TTerminalJobStatus } from "./job-lifecycle.ts";

/**
 * The privacy ledgers: one per distinct uploaded file (every upload of identical bytes shares it, so a re-upload
 * cannot reset the budget), each an append-only list of RESERVE / CHARGE / RELEASE entries. A job reserves its
 * approved (epsilon, delta) before it may run; charges record what the trainer actually released (they consume
 * the reservation, and one beyond it is refused); settlement releases what is left. Budgets compose by basic
 * composition, so epsilons and deltas add.
 *
 * This module is the one place that reads or writes a ledger: the web's quote, its job requests and budget page,
 * and control's charges, settlements and recovery all call it. Every change runs in one transaction that first
 * locks the ledger's row, so the changes of one ledger are strictly serial: charges plus open reservations can
 * never exceed the total, however many requests race. We serialise with the row lock rather than SERIALIZABLE
 * isolation and retries because Prisma's pg adapter leaks a pooled connection whenever PostgreSQL aborts a
 * serialisable transaction at commit (seen here: 12 racing requests left the pool unable to close, 20 hung it).
 */

type Tx = Prisma.TransactionClient;
type TAmount = { epsilon: number; delta: number };

const RESERVATION = "reservation";
/** The audit action of a refused charge: the admin's audit page shows it. */
export const CHARGE_REFUSED_ACTION = "ledger.charge_refused";

/** Whether `value` exceeds `limit` by more than the rounding of sums of floats (relative, so deltas too). */
function above(value: number, limit: number): boolean {
  return value > limit + 1e-9 * Math.max(Math.abs(limit), Math.abs(value));
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

const fmtDelta = (value: number) => (value === 0 ? "0" : value.toExponential(2));

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
  /** How many datasets (uploads of the same file) share this budget; 1 when it is this dataset's alone. */
  sharedBy: number;
}

/** Which ledger a dataset or job belongs to: what `withDatasetLedger` and `withJobLedger` hand their work. */
export interface TLedgerRef {
  ledgerId: string;
  datasetId: string;
}

interface JobTotals {
  reserve: TAmount;
  charge: TAmount;
  release: TAmount;
  /** Whether a RELEASE entry exists: the job's reservation was settled. */
  settled: boolean;
}

function emptyTotals(): JobTotals {
  return {
    reserve: { epsilon: 0, delta: 0 },
    charge: { epsilon: 0, delta: 0 },
    release: { epsilon: 0, delta: 0 },
    settled: false,
  };
}

function openReservation(totals: JobTotals): TAmount {
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
    if (group.kind === "RELEASE") totals.settled = true;
    byJob.set(group.jobId, totals);
  }
  return byJob;
}

async function jobTotals(tx: Tx, jobId: string): Promise<JobTotals> {
  return (await totalsByJob(tx, { jobId })).get(jobId) ?? emptyTotals();
}

async function readBudget(tx: Tx, ledgerId: string): Promise<Budget> {
  const ledger = await tx.ledger.findUniqueOrThrow({
    where: { id: ledgerId },
    select: { epsilonTotal: true, deltaTotal: true, _count: { select: { datasets: true } } },
  });
  let spent = 0;
  let reserved = 0;
  let deltaSpent = 0;
  let deltaReserved = 0;
  for (const totals of (await totalsByJob(tx, { ledgerId })).values()) {
    const open = openReservation(totals);
    spent += totals.charge.epsilon;
    deltaSpent += totals.charge.delta;
    reserved += open.epsilon;
    deltaReserved += open.delta;
  }
  return {
    epsilonTotal: ledger.epsilonTotal,
    delta: ledger.deltaTotal,
    spent,
    reserved,
    remaining: Math.max(0, ledger.epsilonTotal - spent - reserved),
    deltaSpent,
    deltaReserved,
    deltaRemaining: Math.max(0, ledger.deltaTotal - deltaSpent - deltaReserved),
    sharedBy: ledger._count.datasets,
  };
}

/** Epsilon a user's jobs hold on a ledger: what they were charged plus what they still reserve. */
async function heldBy(tx: Tx, ledgerId: string, userId: string): Promise<number> {
  let held = 0;
  for (const totals of (await totalsByJob(tx, { ledgerId, job: { requesterId: userId } })).values()) {
    held += totals.charge.epsilon + openReservation(totals).epsilon;
  }
  return held;
}

async function lockLedger(tx: Tx, ledgerId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Ledger" WHERE id = ${ledgerId} FOR UPDATE`;
}

function inLedgerLock<T>(prisma: PrismaClient, ref: TLedgerRef, work: (tx: Tx, ref: TLedgerRef) => Promise<T>) {
  return prisma.$transaction(
    async (tx) => {
      await lockLedger(tx, ref.ledgerId);
      return work(tx, ref);
    },
    { maxWait: 30_000, timeout: 30_000 },
  );
}

async function refOfDataset(prisma: PrismaClient, datasetId: string): Promise<TLedgerRef> {
  const { ledgerId } = await prisma.dataset.findUniqueOrThrow({ where: { id: datasetId }, select: { ledgerId: true } });
  return { ledgerId, datasetId };
}

async function refOfJob(prisma: PrismaClient, jobId: string): Promise<TLedgerRef> {
  const job = await prisma.job.findUniqueOrThrow({
    where: { id: jobId },
    select: { datasetId: true, dataset: { select: { ledgerId: true } } },
  });
  return { ledgerId: job.dataset.ledgerId, datasetId: job.datasetId };
}

/**
 * Runs `work` in a transaction holding the lock of the dataset's ledger: one ledger change at a time. Callers that
 * must commit a ledger change together with rows of their own write those rows with the same `tx` and use the
 * `…In` functions below.
 */
export async function withDatasetLedger<T>(
  prisma: PrismaClient,
  datasetId: string,
  work: (tx: Tx, ref: TLedgerRef) => Promise<T>,
): Promise<T> {
  return inLedgerLock(prisma, await refOfDataset(prisma, datasetId), work);
}

/** `withDatasetLedger` for the ledger a job's entries belong to. */
export async function withJobLedger<T>(
  prisma: PrismaClient,
  jobId: string,
  work: (tx: Tx, ref: TLedgerRef) => Promise<T>,
): Promise<T> {
  return inLedgerLock(prisma, await refOfJob(prisma, jobId), work);
}

/**
 * The ledger for an uploaded file: the one every earlier upload of the same bytes uses, or a new one with the given
 * totals. Safe against two uploads of one file racing (the sha256 is unique; the loser reads the winner's row).
 */
export async function ledgerForContent(
  db: PrismaClient | Tx,
  { contentSha256, epsilonTotal, deltaTotal }: { contentSha256: string; epsilonTotal: number; deltaTotal: number },
): Promise<{ ledgerId: string; shared: boolean }> {
  const inserted = await db.$executeRaw`
    INSERT INTO "Ledger" (id, "contentSha256", "epsilonTotal", "deltaTotal")
    VALUES (${randomUUID()}, ${contentSha256}, ${epsilonTotal}, ${deltaTotal})
    ON CONFLICT ("contentSha256") DO NOTHING`;
  const { id } = await db.ledger.findUniqueOrThrow({ where: { contentSha256 }, select: { id: true } });
  return { ledgerId: id, shared: inserted === 0 };
}

/** A ledger of its own, known by no file (tests, and datasets made without an upload). */
export async function createLedger(
  db: PrismaClient | Tx,
  { epsilonTotal, deltaTotal }: { epsilonTotal: number; deltaTotal: number },
): Promise<string> {
  return (await db.ledger.create({ data: { epsilonTotal, deltaTotal }, select: { id: true } })).id;
}

/** The budget of a dataset's ledger: total, spent, reserved and remaining. */
export function budgetOf(prisma: PrismaClient, datasetId: string): Promise<Budget> {
  return withDatasetLedger(prisma, datasetId, (tx, ref) => readBudget(tx, ref.ledgerId));
}

/** Every entry of a dataset's ledger (shared uploads' jobs included), oldest first. */
export async function ledgerEntriesOf(prisma: PrismaClient, datasetId: string) {
  const { ledgerId } = await refOfDataset(prisma, datasetId);
  return prisma.ledgerEntry.findMany({
    where: { ledgerId },
    orderBy: { createdAt: "asc" },
    select: {
      id: true,
      jobId: true,
      kind: true,
      mechanism: true,
      runId: true,
      epsilon: true,
      delta: true,
      note: true,
      createdAt: true,
      job: { select: { datasetId: true } },
    },
  });
}

/**
 * Sets the total budget of a dataset's ledger, which every dataset sharing it sees. Lowering it below what is spent
 * and reserved is allowed: nothing new fits until jobs settle, and nothing already charged is undone.
 */
export function setTotalIn(tx: Tx, ref: TLedgerRef, update: { epsilonTotal: number; delta?: number | undefined }) {
  return tx.ledger.update({
    where: { id: ref.ledgerId },
    data: { epsilonTotal: update.epsilonTotal, ...(update.delta === undefined ? {} : { deltaTotal: update.delta }) },
  });
}

// --- the decision on a request ---------------------------------------------------------------------------------

/** What a request does: the quote's answer and the API's `outcome` (apps/web's ZQuoteOutcome is this list). */
export const REQUEST_OUTCOMES = ["runs-now", "needs-approval", "over-budget"] as const;
export type TRequestOutcome = (typeof REQUEST_OUTCOMES)[number];

export interface TRequestDecision {
  outcome: TRequestOutcome;
  /** A sentence for the requester, with the numbers. */
  message: string;
}

export interface TRequestState {
  budget: Budget;
  /** The requester's allowance: epsilon they may hold on one ledger without approval. */
  allowance: number;
  /** Epsilon the requester's jobs already hold on this ledger (charged plus reserved). */
  held: number;
}

/**
 * What a request for (epsilon, delta) does: runs at once, waits for an admin, or is refused because the budget
 * cannot hold it. The one rule behind the quote, the request itself and the admin's view of it. The allowance
 * counts everything the requester holds on the ledger, so a large epsilon cannot be split into small jobs.
 */
export function decideRequest(requested: TAmount, { budget, allowance, held }: TRequestState): TRequestDecision {
  const f = round;
  const usage = `${f(budget.spent)} spent and ${f(budget.reserved)} reserved by running or waiting jobs`;
  if (above(requested.epsilon, budget.remaining)) {
    return {
      outcome: "over-budget",
      message:
        `This job asks for epsilon ${f(requested.epsilon)}, but the dataset has epsilon ${f(budget.remaining)} ` +
        `left of ${f(budget.epsilonTotal)}: ${usage}.`,
    };
  }
  if (above(requested.delta, budget.deltaRemaining)) {
    return {
      outcome: "over-budget",
      message:
        `This job asks for delta ${fmtDelta(requested.delta)}, but the dataset has delta ` +
        `${fmtDelta(budget.deltaRemaining)} left of ${fmtDelta(budget.delta)}: ${fmtDelta(budget.deltaSpent)} spent ` +
        `and ${fmtDelta(budget.deltaReserved)} reserved.`,
    };
  }
  const total = held + requested.epsilon;
  const yours = held > 0 ? ` plus the ${f(held)} your jobs already hold on this dataset (spent or reserved)` : "";
  if (above(total, allowance)) {
    return {
      outcome: "needs-approval",
      message:
        `Epsilon ${f(requested.epsilon)}${yours} comes to ${f(total)}, above your allowance of ${f(allowance)} ` +
        "per dataset: an admin must approve it first.",
    };
  }
  return {
    outcome: "runs-now",
    message:
      `Epsilon ${f(requested.epsilon)}${yours} is within your allowance of ${f(allowance)} and the budget: ` +
      "it is queued at once.",
  };
}

/** The state a request is decided on, read inside the ledger's lock (or without it, for a quote). */
export async function requestStateIn(
  tx: Tx,
  ref: TLedgerRef,
  requester: { id: string; epsilonAllowance: number },
): Promise<TRequestState> {
  return {
    budget: await readBudget(tx, ref.ledgerId),
    allowance: requester.epsilonAllowance,
    held: await heldBy(tx, ref.ledgerId, requester.id),
  };
}

/** What a request would do now, with the state it was decided on: the quote. */
export function quoteRequest(
  prisma: PrismaClient,
  datasetId: string,
  requester: { id: string; epsilonAllowance: number },
  requested: TAmount,
): Promise<TRequestDecision & TRequestState> {
  return withDatasetLedger(prisma, datasetId, async (tx, ref) => {
    const state = await requestStateIn(tx, ref, requester);
    return { ...decideRequest(requested, state), ...state };
  });
}

export class BudgetExceededError extends Error {
  constructor(
    message: string,
    readonly requested: TAmount,
    readonly budget: Budget,
  ) {
    super(message);
    this.name = "BudgetExceededError";
  }
}

/**
 * Decides a request and, unless it is over budget, creates the job (QUEUED, or PENDING_APPROVAL above the
 * requester's allowance) and its RESERVE entry together, inside the ledger's lock; over budget it throws
 * BudgetExceededError and creates nothing.
 */
export function createJobWithReservation(
  prisma: PrismaClient,
  {
    datasetId,
    requester,
    epsilon,
    delta,
    job,
  }: {
    datasetId: string;
    requester: { id: string; epsilonAllowance: number };
    epsilon: number;
    delta: number;
    job: Omit<Prisma.JobUncheckedCreateInput, "datasetId" | "requesterId" | "status" | "decisionNote">;
  },
) {
  return withDatasetLedger(prisma, datasetId, async (tx, ref) => {
    const state = await requestStateIn(tx, ref, requester);
    const decision = decideRequest({ epsilon, delta }, state);
    if (decision.outcome === "over-budget") {
      throw new BudgetExceededError(decision.message, { epsilon, delta }, state.budget);
    }
    const status: TInitialJobStatus = decision.outcome === "needs-approval" ? "PENDING_APPROVAL" : "QUEUED";
    const created = await tx.job.create({
      data: { ...job, datasetId, requesterId: requester.id, status, decisionNote: decision.message },
    });
    await tx.ledgerEntry.create({
      data: { ledgerId: ref.ledgerId, jobId: created.id, kind: "RESERVE", mechanism: RESERVATION, epsilon, delta },
    });
    return { job: created, decision };
  });
}

// --- charges and settlement ------------------------------------------------------------------------------------

export interface TCharge {
  jobId: string;
  mechanism: string;
  /** The run the amounts are cumulative within; runs of a job add up. */
  runId: string;
  epsilon: number;
  delta: number;
}

/** A charge the ledger would not take in full: what was asked beyond the job's reservation. */
export interface TRefusal {
  mechanism: string;
  runId: string;
  excess: TAmount;
  /** What the job had reserved and not yet charged before this charge. */
  open: TAmount;
  /** A sentence for the job's owner. */
  message: string;
}

export interface TChargeResult {
  charged: number;
  refused: TRefusal | null;
}

/**
 * Records what the trainer reports it has released through one mechanism in one run. `epsilon` and `delta` are
 * cumulative for the run, so a replayed or repeated report charges nothing new, and each run of a job is charged
 * in addition to the others. A charge must fit in what the job reserved and has not spent: one that does not is
 * refused beyond that (the job is charged its whole reservation, since at least that much was released), an audit
 * event tells the admins, and the caller fails the job. Within the reservation a charge cannot take the ledger past
 * its total, since the reservation was counted in it.
 */
export async function chargeSpend(prisma: PrismaClient, charge: TCharge): Promise<TChargeResult> {
  return withJobLedger(prisma, charge.jobId, (tx, ref) => chargeSpendIn(tx, ref, charge));
}

/** `chargeSpend` inside a transaction that holds the job's ledger lock (`withJobLedger`). */
export async function chargeSpendIn(tx: Tx, ref: TLedgerRef, charge: TCharge): Promise<TChargeResult> {
  const { jobId, mechanism, runId } = charge;
  const already = await tx.ledgerEntry.aggregate({
    where: { jobId, kind: "CHARGE", mechanism, runId },
    _sum: { epsilon: true, delta: true },
  });
  const wanted = {
    epsilon: Math.max(0, charge.epsilon - (already._sum.epsilon ?? 0)),
    delta: Math.max(0, charge.delta - (already._sum.delta ?? 0)),
  };
  if (!above(wanted.epsilon, 0) && wanted.delta <= 0) return { charged: 0, refused: null };
  const open = openReservation(await jobTotals(tx, jobId));
  const refused = above(wanted.epsilon, open.epsilon) || above(wanted.delta, open.delta);
  const charged = refused
    ? { epsilon: Math.min(wanted.epsilon, open.epsilon), delta: Math.min(wanted.delta, open.delta) }
    : wanted;
  if (charged.epsilon > 0 || charged.delta > 0) {
    await tx.ledgerEntry.create({
      data: {
        ledgerId: ref.ledgerId,
        jobId,
        kind: "CHARGE",
        mechanism,
        runId,
        ...charged,
        note: refused ? "capped at the reservation: the rest was refused" : null,
      },
    });
  }
  const total = await tx.ledgerEntry.aggregate({ where: { jobId, kind: "CHARGE" }, _sum: { epsilon: true } });
  await tx.job.update({ where: { id: jobId }, data: { epsilonSpent: total._sum.epsilon ?? 0 } });
  if (!refused) return { charged: charged.epsilon, refused: null };

  const excess = { epsilon: wanted.epsilon - charged.epsilon, delta: wanted.delta - charged.delta };
  const what = above(excess.epsilon, 0)
    ? `epsilon ${round(wanted.epsilon)} more through ${mechanism}, with ${round(open.epsilon)} left of its reservation`
    : `delta ${fmtDelta(wanted.delta)} more through ${mechanism}, with ${fmtDelta(open.delta)} left of its reservation`;
  const refusal: TRefusal = {
    mechanism,
    runId,
    excess,
    open,
    message:
      `The trainer reported spending ${what}. The ledger refused the excess and charged the whole reservation; ` +
      "the job was stopped and an admin was alerted.",
  };
  // One alert per job: the trainer may report again before it sees the stop.
  const alerted = await tx.auditEvent.count({
    where: { action: CHARGE_REFUSED_ACTION, subjectType: "job", subjectId: jobId },
  });
  if (alerted === 0) {
    await tx.auditEvent.create({
      data: {
        actorId: null,
        action: CHARGE_REFUSED_ACTION,
        subjectType: "job",
        subjectId: jobId,
        detail: {
          datasetId: ref.datasetId,
          mechanism,
          runId,
          asked: wanted.epsilon,
          reserved: open.epsilon,
          refused: excess.epsilon,
          deltaAsked: wanted.delta,
          deltaRefused: excess.delta,
        },
      },
    });
  }
  return { charged: charged.epsilon, refused: refusal };
}

/**
 * Makes sure the job's charges through `mechanism`, over all its runs, are at least `epsilon` and `delta` (a
 * total the trainer states, such as its final training summary), charging any shortfall to `runId`.
 */
export async function chargeJobTotalIn(tx: Tx, ref: TLedgerRef, total: TCharge): Promise<TChargeResult> {
  const { jobId, mechanism, runId } = total;
  const others = await tx.ledgerEntry.aggregate({
    where: { jobId, kind: "CHARGE", mechanism, OR: [{ runId: null }, { runId: { not: runId } }] },
    _sum: { epsilon: true, delta: true },
  });
  return chargeSpendIn(tx, ref, {
    ...total,
    epsilon: Math.max(0, total.epsilon - (others._sum.epsilon ?? 0)),
    delta: Math.max(0, total.delta - (others._sum.delta ?? 0)),
  });
}

/**
 * Ends a job's reservation: whatever was reserved and not charged goes back to the ledger, as the job's one
 * RELEASE entry (of 0 when it spent it all). Safe to call more than once; a failed or cancelled job keeps paying
 * for what it charged.
 */
export async function settleJob(prisma: PrismaClient, jobId: string, note?: string): Promise<{ released: number }> {
  return withJobLedger(prisma, jobId, (tx, ref) => settleJobIn(tx, ref, { jobId, note }));
}

/** `settleJob` inside a transaction that holds the job's ledger lock (`withJobLedger`). */
export async function settleJobIn(
  tx: Tx,
  ref: TLedgerRef,
  { jobId, note }: { jobId: string; note?: string | undefined },
): Promise<{ released: number }> {
  const totals = await jobTotals(tx, jobId);
  const open = openReservation(totals);
  if (totals.settled && !above(open.epsilon, 0) && open.delta <= 0) return { released: 0 };
  await tx.ledgerEntry.create({
    data: {
      ledgerId: ref.ledgerId,
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

/**
 * Settles every job in one of `statuses` (terminal ones: recovery passes all of them) that reserved and was never
 * settled (ended by a path that crashed before settling); returns their ids.
 */
export async function settleUnsettledJobs(
  prisma: PrismaClient,
  statuses: readonly TTerminalJobStatus[],
  note: string,
): Promise<string[]> {
  const unsettled = await prisma.job.findMany({
    where: {
      status: { in: [...statuses] },
      ledger: { some: { kind: "RESERVE" }, none: { kind: "RELEASE" } },
    },
    select: { id: true },
  });
  for (const { id } of unsettled) await settleJob(prisma, id, note);
  return unsettled.map((job) => job.id);
}
