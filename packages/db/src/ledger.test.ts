import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "./generated/client.ts";
import {
  BudgetExceededError,
  budgetOf,
  chargeSpend,
  chargeSpendIn,
  createJobWithReservation,
  settleJob,
  settleJobIn,
  withDatasetLock,
} from "./ledger.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

let db: TestDatabase;
let prisma: PrismaClient;
let ownerId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = db.prisma;
  ownerId = (await prisma.user.create({ data: { email: "owner@example.test", name: "Owner" } })).id;
});
afterAll(async () => db.drop());

async function dataset(epsilonTotal: number, deltaTotal = 1e-3) {
  return prisma.dataset.create({
    data: {
      ownerId,
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
      epsilonTotal,
      deltaTotal,
    },
  });
}

function requestJob(datasetId: string, epsilon: number, delta = 1e-5) {
  return createJobWithReservation(prisma, {
    datasetId,
    epsilon,
    delta,
    job: { requesterId: ownerId, spec: {}, status: "QUEUED", epsilon, delta },
  });
}

describe("privacy ledger", () => {
  it("reserves a job's epsilon as soon as the job exists", async () => {
    const ds = await dataset(10);
    await requestJob(ds.id, 3);
    expect(await budgetOf(prisma, ds.id)).toMatchObject({ epsilonTotal: 10, spent: 0, reserved: 3, remaining: 7 });
  });

  it("refuses a job over the remaining budget with the numbers, and creates nothing", async () => {
    const ds = await dataset(5);
    await requestJob(ds.id, 4);
    const refusal = await requestJob(ds.id, 2).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(BudgetExceededError);
    expect((refusal as Error).message).toContain("epsilon 1 ");
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
    await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", epsilon: 1.5, delta: 1e-5 });
    await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", epsilon: 1.5, delta: 1e-5 });
    await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", epsilon: 2.5, delta: 1e-5 });
    await chargeSpend(prisma, { jobId: job.id, mechanism: "gaussian-label-counts", epsilon: 0.1, delta: 0 });
    expect(await budgetOf(prisma, ds.id)).toMatchObject({ remaining: 7 });
    expect((await budgetOf(prisma, ds.id)).spent).toBeCloseTo(2.6, 9);
    expect((await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).epsilonSpent).toBeCloseTo(2.6, 9);
  });

  it("settles a failed job: it pays for what it spent and the rest returns, once", async () => {
    const ds = await dataset(10);
    const job = await requestJob(ds.id, 3);
    await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", epsilon: 1.2, delta: 1e-5 });
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
      withDatasetLock(prisma, ds.id, async (tx) => {
        await chargeSpendIn(tx, { datasetId: ds.id, jobId: job.id, mechanism: "dp-sgd", epsilon: 1, delta: 1e-6 });
        await settleJobIn(tx, { datasetId: ds.id, jobId: job.id, note: "settled: succeeded" });
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
        await chargeSpend(prisma, { jobId: job.id, mechanism: "dp-sgd", epsilon: job.reported, delta: 0 });
      } else if (jobs.length) {
        // Settlement comes after a job's last report, so a settled job reports nothing more.
        const [settled] = jobs.splice(Math.floor(random() * jobs.length), 1);
        await settleJob(prisma, (settled as (typeof jobs)[number]).id);
      }
      const budget = await budgetOf(prisma, ds.id);
      expect(budget.spent + budget.reserved).toBeLessThanOrEqual(budget.epsilonTotal + 1e-9);
    }
  }, 60_000);
});
