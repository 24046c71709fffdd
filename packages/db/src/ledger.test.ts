import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "./generated/client.ts";
import {
  BudgetExceededError,
  budgetOf,
  CHARGE_REFUSED_ACTION,
  chargeJobTotalIn,
  chargeSpend,
  chargeSpendIn,
  createJobWithReservation,
  createLedger,
  decideRequest,
  ledgerEntriesOf,
  ledgerForContent,
  quoteRequest,
  settleJob,
  settleJobIn,
  settleUnsettledJobs,
  withDatasetLedger,
  withJobLedger,
} from "./ledger.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

let db: TestDatabase;
let prisma: PrismaClient;
/** An owner without an allowance limit, so that only the budget decides. */
let owner: { id: string; epsilonAllowance: number };

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = db.prisma;
  owner = await prisma.user.create({
    data: { email: "owner@example.test", name: "Owner", epsilonAllowance: 1000 },
    select: { id: true, epsilonAllowance: true },
  });
});
afterAll(async () => db.drop());

async function datasetOn(ledgerId: string) {
  return prisma.dataset.create({
    data: {
      ownerId: owner.id,
      name: "reviews",
      columns: [],
      textColumn: "text",
      labelColumn: "label",
      delimiter: ",",
      trainRows: 800,
      holdoutRows: 200,
      labelCounts: {},
      holdoutFraction: 0.2,
      splitSeed: 1,
      trainBlobKey: "train",
      holdoutBlobKey: "holdout",
      ledgerId,
    },
  });
}

async function dataset(epsilonTotal: number, deltaTotal = 1e-3) {
  return datasetOn(await createLedger(prisma, { epsilonTotal, deltaTotal }));
}

async function requestJob(
  datasetId: string,
  epsilon: number,
  delta = 1e-5,
  requester: { id: string; epsilonAllowance: number } = owner,
) {
  const { job } = await createJobWithReservation(prisma, {
    datasetId,
    requester,
    epsilon,
    delta,
    job: { spec: {}, epsilon, delta },
  });
  return job;
}

describe("privacy ledger", () => {
  it("reserves a job's epsilon as soon as the job exists", async () => {
    const ds = await dataset(10);
    expect(await requestJob(ds.id, 3)).toMatchObject({ status: "QUEUED" });
    expect(await budgetOf(prisma, ds.id)).toMatchObject({ epsilonTotal: 10, spent: 0, reserved: 3, remaining: 7 });
  });

  it("refuses a job over the remaining budget with the numbers, and creates nothing", async () => {
    const ds = await dataset(5);
    await requestJob(ds.id, 4);
    const refusal = await requestJob(ds.id, 2).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(BudgetExceededError);
    expect((refusal as Error).message).toBe(
      "This job asks for epsilon 2, but the dataset has epsilon 1 left of 5: 0 spent and 4 reserved by running or " +
        "waiting jobs.",
    );
    expect(await prisma.job.count({ where: { datasetId: ds.id } })).toBe(1);
  });

  it("accepts exactly 5 of 50 concurrent requests when the budget holds 5", async () => {
    const ds = await dataset(5);
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => requestJob(ds.id, 1)));
    const accepted = outcomes.filter((o) => o.status === "fulfilled");
    const refused = outcomes.filter((o) => o.status === "rejected");
    expect(accepted).toHaveLength(5);
    for (const outcome of refused) {
      expect(outcome.status === "rejected" && outcome.reason).toBeInstanceOf(BudgetExceededError);
    }
    expect(await budgetOf(prisma, ds.id)).toMatchObject({ reserved: 5, remaining: 0 });
  }, 120_000);

  it("charges only the increase of a cumulative report, so replays cost nothing", async () => {
    const ds = await dataset(10);
    const job = await requestJob(ds.id, 3);
    await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", runId: "r1", epsilon: 1.5, delta: 1e-5 });
    await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", runId: "r1", epsilon: 1.5, delta: 1e-5 });
    await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", runId: "r1", epsilon: 2.5, delta: 1e-5 });
    await chargeSpend(prisma, {
      jobId: job.id,
      mechanism: "gaussian-label-counts",
      runId: "l",
      epsilon: 0.1,
      delta: 0,
    });
    expect(await budgetOf(prisma, ds.id)).toMatchObject({ remaining: 7 });
    expect((await budgetOf(prisma, ds.id)).spent).toBeCloseTo(2.6, 9);
    expect((await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).epsilonSpent).toBeCloseTo(2.6, 9);
  });

  it("settles a failed job: it pays for what it spent and the rest returns, once", async () => {
    const ds = await dataset(10);
    const job = await requestJob(ds.id, 3);
    await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", runId: "r1", epsilon: 1.2, delta: 1e-5 });
    expect((await settleJob(prisma, job.id, "failed")).released).toBeCloseTo(1.8, 9);
    expect((await settleJob(prisma, job.id, "failed again")).released).toBe(0);
    const budget = await budgetOf(prisma, ds.id);
    expect(budget.spent).toBeCloseTo(1.2, 9);
    expect(budget.reserved).toBe(0);
    expect(budget.remaining).toBeCloseTo(8.8, 9);
    expect(await prisma.ledgerEntry.count({ where: { jobId: job.id, kind: "RELEASE" } })).toBe(1);
  });

  it("commits a charge and settlement with the caller's own rows, or none of them when it crashes in between", async () => {
    const ds = await dataset(10);
    const job = await requestJob(ds.id, 3);
    // What control does with a final event: charge, settle, write the event row, end the job; one transaction.
    const persist = (crash: boolean) =>
      withDatasetLedger(prisma, ds.id, async (tx, ledger) => {
        await chargeSpendIn(tx, ledger, { jobId: job.id, mechanism: "dp-sgd", runId: "r1", epsilon: 1, delta: 1e-6 });
        await settleJobIn(tx, ledger, { jobId: job.id, note: "settled: succeeded" });
        await tx.jobEvent.create({ data: { jobId: job.id, seq: 0, type: "result", payload: {} } });
        if (crash) throw new Error("crashed before the commit");
        await tx.job.update({ where: { id: job.id }, data: { status: "SUCCEEDED" } });
      });

    await expect(persist(true)).rejects.toThrow("crashed before the commit");
    expect(await prisma.jobEvent.count({ where: { jobId: job.id } })).toBe(0);
    expect(await prisma.ledgerEntry.count({ where: { jobId: job.id, kind: { in: ["CHARGE", "RELEASE"] } } })).toBe(0);
    expect(await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({
      status: "QUEUED",
      epsilonSpent: 0,
    });
    expect(await budgetOf(prisma, ds.id)).toMatchObject({ spent: 0, reserved: 3, remaining: 7 });

    await persist(false);
    expect(await prisma.jobEvent.count({ where: { jobId: job.id } })).toBe(1);
    expect(await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({
      status: "SUCCEEDED",
      epsilonSpent: 1,
    });
    expect(await budgetOf(prisma, ds.id)).toMatchObject({ spent: 1, reserved: 0, remaining: 9 });
  });

  it("never lets charges plus open reservations exceed the total, whatever the order of events", async () => {
    // A seeded random walk over reservations, charges and settlements, checking the invariant after each.
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const ds = await dataset(6);
    const jobs: { id: string; epsilon: number; reported: number }[] = [];
    for (let i = 0; i < 30; i++) {
      const action = random();
      if (action < 0.4) {
        const epsilon = Math.round(random() * 30) / 10 + 0.1;
        const job = await requestJob(ds.id, epsilon).catch(() => null);
        if (job) jobs.push({ id: job.id, epsilon, reported: 0 });
      } else if (action < 0.8 && jobs.length) {
        const job = jobs[Math.floor(random() * jobs.length)] as (typeof jobs)[number];
        job.reported = Math.min(job.epsilon, job.reported + random() * job.epsilon * 0.5);
        await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", runId: "r1", epsilon: job.reported, delta: 0 });
      } else if (jobs.length) {
        // Settlement comes after a job's last report, so a settled job reports nothing more.
        const [settled] = jobs.splice(Math.floor(random() * jobs.length), 1);
        await settleJob(prisma, (settled as (typeof jobs)[number]).id);
      }
      const budget = await budgetOf(prisma, ds.id);
      expect(budget.spent + budget.reserved).toBeLessThanOrEqual(budget.epsilonTotal + 1e-9);
    }
  }, 60_000);

  it("settles a job that spent its whole reservation with one RELEASE of 0, so recovery finds nothing to do", async () => {
    const ds = await dataset(10);
    const job = await requestJob(ds.id, 2);
    await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", runId: "r1", epsilon: 2, delta: 1e-5 });
    await prisma.job.update({ where: { id: job.id }, data: { status: "SUCCEEDED" } });
    expect(await settleUnsettledJobs(prisma, ["SUCCEEDED"], "found by recovery")).toContain(job.id);
    expect(await settleUnsettledJobs(prisma, ["SUCCEEDED"], "found by recovery")).not.toContain(job.id);
    const releases = await prisma.ledgerEntry.findMany({ where: { jobId: job.id, kind: "RELEASE" } });
    expect(releases.map((r) => [r.epsilon, r.note])).toEqual([[0, "found by recovery"]]);
  });
});

describe("runs", () => {
  it("charges each run of a job cumulatively within the run and in addition to the others", async () => {
    const ds = await dataset(10);
    const job = await requestJob(ds.id, 3);
    const charge = (runId: string, epsilon: number, delta: number) =>
      chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", runId, epsilon, delta });
    await charge("first", 0.4, 1e-5);
    await charge("first", 0.9, 1e-5); // cumulative: +0.5
    // The first run's work dir was lost: the next run starts over and reports what it adds (delta 0: charged once).
    await charge("second", 0.3, 0);
    await charge("second", 1.1, 0);
    await charge("first", 0.9, 1e-5); // a replay of the first run's last report: nothing new
    const entries = await prisma.ledgerEntry.findMany({ where: { jobId: job.id, kind: "CHARGE" } });
    expect(entries.reduce((sum, e) => sum + e.epsilon, 0)).toBeCloseTo(0.9 + 1.1, 9);
    expect(entries.reduce((sum, e) => sum + e.delta, 0)).toBeCloseTo(1e-5, 15);
    expect(new Set(entries.map((e) => e.runId))).toEqual(new Set(["first", "second"]));
    expect((await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).epsilonSpent).toBeCloseTo(2, 9);
  });

  it("tops a job up to a total it states (the final training summary), charging only the shortfall", async () => {
    const ds = await dataset(10);
    const job = await requestJob(ds.id, 3);
    await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", runId: "first", epsilon: 0.9, delta: 1e-5 });
    await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", runId: "second", epsilon: 1.0, delta: 0 });
    const total = (epsilon: number) =>
      withJobLedger(prisma, job.id, (tx, ledger) =>
        chargeJobTotalIn(tx, ledger, { jobId: job.id, mechanism: "dp-sgd", runId: "second", epsilon, delta: 1e-5 }),
      );
    expect((await total(1.9)).charged).toBe(0);
    expect((await total(2.0)).charged).toBeCloseTo(0.1, 9);
    expect((await budgetOf(prisma, ds.id)).spent).toBeCloseTo(2.0, 9);
  });
});

describe("a charge beyond what was reserved", () => {
  it("is refused in the transaction: the job pays its whole reservation, no more, and admins get one alert", async () => {
    const ds = await dataset(5);
    const job = await requestJob(ds.id, 3);
    await requestJob(ds.id, 2); // the rest of the budget, held by another job
    await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", runId: "r1", epsilon: 2.5, delta: 1e-5 });

    const result = await chargeSpend(prisma, {
      jobId: job.id,
      mechanism: "dp-sgd",
      runId: "r1",
      epsilon: 3.4,
      delta: 1e-5,
    });
    expect(result.charged).toBeCloseTo(0.5, 9);
    expect(result.refused?.excess.epsilon).toBeCloseTo(0.4, 9);
    expect(result.refused?.message).toBe(
      "The trainer reported spending epsilon 0.9 more through dp-sgd, with 0.5 left of its reservation. The ledger " +
        "refused the excess and charged the whole reservation; the job was stopped and an admin was alerted.",
    );
    const budget = await budgetOf(prisma, ds.id);
    expect(budget.spent + budget.reserved).toBeCloseTo(5, 9); // never past the total
    expect((await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).epsilonSpent).toBeCloseTo(3, 9);

    // A later report of the same job is refused too, without a second alert.
    const again = await chargeSpend(prisma, {
      jobId: job.id,
      mechanism: "dp-sgd",
      runId: "r1",
      epsilon: 3.6,
      delta: 1e-5,
    });
    expect(again.charged).toBe(0);
    expect(again.refused).not.toBeNull();
    const alerts = await prisma.auditEvent.findMany({ where: { action: CHARGE_REFUSED_ACTION, subjectId: job.id } });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ actorId: null, subjectType: "job" });
    expect(alerts[0]?.detail).toMatchObject({ datasetId: ds.id, mechanism: "dp-sgd", runId: "r1", reserved: 0.5 });
  });

  it("refuses a delta beyond the reservation, and any charge of a job already settled", async () => {
    const ds = await dataset(10);
    const job = await requestJob(ds.id, 3, 1e-5);
    const overDelta = await chargeSpend(prisma, {
      jobId: job.id,
      mechanism: "dp-sgd",
      runId: "r1",
      epsilon: 1,
      delta: 2e-5,
    });
    expect(overDelta.refused?.message).toMatch(/delta 2.00e-5 more through dp-sgd, with 1.00e-5 left/);
    const settled = await requestJob(ds.id, 1);
    await settleJob(prisma, settled.id, "cancelled");
    const late = await chargeSpend(prisma, {
      jobId: settled.id,
      mechanism: "dp-sgd",
      runId: "r1",
      epsilon: 0.2,
      delta: 0,
    });
    expect([late.charged, late.refused?.excess.epsilon]).toEqual([0, 0.2]);
    expect(await prisma.ledgerEntry.count({ where: { jobId: settled.id, kind: "CHARGE" } })).toBe(0);
  });
});

describe("one ledger per file", () => {
  it("gives a re-upload of the same bytes the first upload's ledger: one budget for both datasets", async () => {
    const sha = "ab".repeat(32);
    const first = await ledgerForContent(prisma, { contentSha256: sha, epsilonTotal: 4, deltaTotal: 1e-5 });
    // Racing uploads of one file all land on one ledger; the later ones' defaults are ignored.
    const again = await Promise.all(
      Array.from({ length: 5 }, () =>
        ledgerForContent(prisma, { contentSha256: sha, epsilonTotal: 99, deltaTotal: 1e-3 }),
      ),
    );
    expect(first.shared).toBe(false);
    expect(again.every((ledger) => ledger.ledgerId === first.ledgerId && ledger.shared)).toBe(true);
    const other = await ledgerForContent(prisma, { contentSha256: "cd".repeat(32), epsilonTotal: 4, deltaTotal: 1e-5 });
    expect(other.ledgerId).not.toBe(first.ledgerId);

    const upload = await datasetOn(first.ledgerId);
    const reupload = await datasetOn(first.ledgerId);
    await requestJob(upload.id, 3);
    expect(await budgetOf(prisma, reupload.id)).toMatchObject({
      epsilonTotal: 4,
      reserved: 3,
      remaining: 1,
      sharedBy: 2,
    });
    const refusal = await requestJob(reupload.id, 2).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(BudgetExceededError);
    expect((await ledgerEntriesOf(prisma, reupload.id)).map((e) => e.job?.datasetId)).toEqual([upload.id]);
  });
});

describe("the allowance", () => {
  it("counts everything the requester holds on the ledger, so a large epsilon cannot be split into small jobs", async () => {
    const ds = await dataset(20);
    const careful = await prisma.user.create({
      data: { email: "careful@example.test", name: "Careful", epsilonAllowance: 3 },
      select: { id: true, epsilonAllowance: true },
    });
    const first = await requestJob(ds.id, 2, 1e-5, careful);
    const second = await requestJob(ds.id, 2, 1e-5, careful);
    expect([first.status, second.status]).toEqual(["QUEUED", "PENDING_APPROVAL"]);
    expect(second.decisionNote).toBe(
      "Epsilon 2 plus the 2 your jobs already hold on this dataset (spent or reserved) comes to 4, above your " +
        "allowance of 3 per dataset: an admin must approve it first.",
    );
    // Spent counts as well as reserved; what was released does not.
    await chargeSpend(prisma, { jobId: first.id, mechanism: "dp-sgd", runId: "r1", epsilon: 1.5, delta: 1e-5 });
    await settleJob(prisma, first.id, "succeeded");
    await settleJob(prisma, second.id, "rejected");
    const quote = await quoteRequest(prisma, ds.id, careful, { epsilon: 1.5, delta: 1e-5 });
    expect(quote).toMatchObject({ outcome: "runs-now", held: 1.5, allowance: 3 });
    expect((await quoteRequest(prisma, ds.id, careful, { epsilon: 1.6, delta: 1e-5 })).outcome).toBe("needs-approval");
    // Another owner's jobs are theirs.
    expect((await quoteRequest(prisma, ds.id, { ...careful, id: owner.id }, { epsilon: 3, delta: 0 })).held).toBe(0);
  });

  it("is one pure rule: over budget (epsilon, then delta) before the allowance", () => {
    const budget = {
      epsilonTotal: 10,
      delta: 1e-5,
      spent: 4,
      reserved: 2,
      remaining: 4,
      deltaSpent: 5e-6,
      deltaReserved: 4e-6,
      deltaRemaining: 1e-6,
      sharedBy: 1,
    };
    const decide = (epsilon: number, delta: number, held = 0) =>
      decideRequest({ epsilon, delta }, { budget, allowance: 3, held }).outcome;
    expect(decide(4, 1e-6)).toBe("needs-approval");
    expect(decide(4 + 1e-12, 1e-6)).toBe("needs-approval"); // rounding of sums is not a refusal
    expect(decide(4.01, 1e-6)).toBe("over-budget");
    expect(decide(1, 2e-6)).toBe("over-budget");
    expect(decideRequest({ epsilon: 1, delta: 2e-6 }, { budget, allowance: 3, held: 0 }).message).toMatch(
      /asks for delta 2.00e-6, but the dataset has delta 1.00e-6 left/,
    );
    expect(decide(1, 1e-6, 2)).toBe("runs-now");
    expect(decide(1, 1e-6, 2.5)).toBe("needs-approval");
  });
});
