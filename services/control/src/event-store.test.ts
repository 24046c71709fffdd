import type { PrismaClient } from "@dpsynth/db";
import { createTestDatabase, type TestDatabase } from "@dpsynth/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { persistEvent } from "./event-store.ts";
import { ledgerOf, seedJob, trainerEvent } from "./test-support.ts";

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = db.prisma;
});
afterAll(async () => db.drop());

const summary = {
  runId: "run-1",
  noiseMultiplier: 1.1,
  sampleRate: 0.25,
  steps: 4,
  epochs: 1,
  maxGradNorm: 1,
  accountant: "prv",
  epsilon: 1.5,
  delta: 1e-5,
  clipping: "hooks",
} as const;

/** A run's events: stages, two steps, an artifact and the result. */
function successfulRun(jobId: string) {
  let seq = 0;
  const e = (body: Parameters<typeof trainerEvent>[2]) => trainerEvent(jobId, seq++, body);
  return [
    e({ type: "stage", stage: "training" }),
    e({ type: "metric", step: 1, epoch: 0.5, values: { "train/loss": 3.2, "privacy/epsilon": 0.9 } }),
    e({ type: "privacy", mechanism: "dp-sgd", runId: "run-1", epsilon: 0.9, delta: 1e-5, steps: 1 }),
    e({ type: "metric", step: 2, epoch: 1, values: { "train/loss": 3.0, "privacy/epsilon": 1.5 } }),
    e({ type: "privacy", mechanism: "dp-sgd", runId: "run-1", epsilon: 1.5, delta: 1e-5, steps: 2 }),
    e({ type: "stage", stage: "sampling" }),
    e({
      type: "artifact",
      name: "synthetic.csv",
      uri: "file:///tmp/x/synthetic.csv",
      bytes: 12,
      sha256: "a".repeat(64),
    }),
    e({
      type: "result",
      training: summary,
      metrics: { "eval/tstr_accuracy_tfidf": 0.6 },
      artifacts: ["synthetic.csv"],
      rows: { requested: 20, produced: 20 },
      warnings: [],
    }),
  ];
}

async function snapshot(jobId: string) {
  const job = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  const { entries } = await ledgerOf(prisma, jobId);
  return {
    job: { ...job, finishedAt: job.finishedAt?.getTime() },
    events: await prisma.jobEvent.count({ where: { jobId } }),
    metrics: await prisma.metricPoint.findMany({ where: { jobId }, orderBy: { seq: "asc" }, omit: { id: true } }),
    artifacts: await prisma.artifact.findMany({ where: { jobId }, omit: { id: true } }),
    ledger: entries.map(({ kind, mechanism, epsilon, delta }) => ({ kind, mechanism, epsilon, delta })),
  };
}

describe("persistEvent", () => {
  it("turns a run's events into status, metric points, artifacts, charges and a settled reservation", async () => {
    const job = await seedJob(prisma, { epsilon: 3 });
    for (const event of successfulRun(job.id)) expect(await persistEvent(prisma, event)).toBe("persisted");

    const after = await prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after).toMatchObject({ status: "SUCCEEDED", stage: "done", epsilonSpent: 1.5, lastEventSeq: 7 });
    expect(after).toMatchObject({ rowsRequested: 20, rowsProduced: 20, warnings: [] });
    expect(after.metrics).toEqual({ "eval/tstr_accuracy_tfidf": 0.6 });
    expect(after.startedAt).not.toBeNull();
    const points = await prisma.metricPoint.findMany({ where: { jobId: job.id }, orderBy: { step: "asc" } });
    expect(points.map((p) => [p.step, p.epsilon, p.loss])).toEqual([
      [1, 0.9, 3.2],
      [2, 1.5, 3.0],
    ]);
    expect(await prisma.artifact.findMany({ where: { jobId: job.id } })).toMatchObject([
      { name: "synthetic.csv", blobKey: "file:///tmp/x/synthetic.csv", bytes: 12 },
    ]);
    const ledger = await ledgerOf(prisma, job.id);
    expect(ledger.charged).toBeCloseTo(1.5, 12);
    expect(ledger.chargeCount).toBe(2); // 0.9, then the increment 0.6
    expect(ledger.released).toBeCloseTo(1.5, 12);
  });

  it("is idempotent: replaying the same events twice, even out of order, changes nothing", async () => {
    const job = await seedJob(prisma);
    const events = successfulRun(job.id);
    for (const event of events) await persistEvent(prisma, event);
    const once = await snapshot(job.id);
    for (const event of [...events].reverse()) expect(await persistEvent(prisma, event)).toBe("duplicate");
    for (const event of events) expect(await persistEvent(prisma, event)).toBe("duplicate");
    expect(await snapshot(job.id)).toEqual(once);
  });

  it("charges only the increment of cumulative privacy reports, and nothing for a stale one", async () => {
    const job = await seedJob(prisma);
    const privacy = (seq: number, epsilon: number) =>
      trainerEvent(job.id, seq, {
        type: "privacy",
        mechanism: "dp-sgd",
        runId: "run-1",
        epsilon,
        delta: 1e-5,
        steps: seq,
      });
    await persistEvent(prisma, privacy(0, 0.5));
    await persistEvent(prisma, privacy(1, 1.25));
    await persistEvent(prisma, privacy(2, 1.0)); // a resumed attempt re-reporting an older total
    await persistEvent(
      prisma,
      trainerEvent(job.id, 3, {
        type: "privacy",
        mechanism: "gaussian-label-counts",
        runId: "labels-1",
        epsilon: 0.2,
        delta: 0,
        steps: 0,
      }),
    );
    const ledger = await ledgerOf(prisma, job.id);
    expect(ledger.chargedBy("dp-sgd")).toBeCloseTo(1.25, 12);
    expect(ledger.chargedBy("gaussian-label-counts")).toBeCloseTo(0.2, 12);
    expect((await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).epsilonSpent).toBeCloseTo(1.45, 12);
  });

  it("charges the DP label-set release its epsilon and delta once, however many attempts report it", async () => {
    const job = await seedJob(prisma);
    // Every attempt re-emits the job's one release under its release id (a retry reuses the release, free).
    const release = (seq: number, attempt: number) =>
      trainerEvent(
        job.id,
        seq,
        { type: "privacy", mechanism: "gaussian-label-set", runId: "labelset-1", epsilon: 0.3, delta: 1e-6, steps: 1 },
        attempt,
      );
    await persistEvent(prisma, release(0, 1));
    await persistEvent(prisma, release(0, 2));
    await persistEvent(prisma, release(1, 3));
    const ledger = await ledgerOf(prisma, job.id);
    expect(ledger.chargedBy("gaussian-label-set")).toBeCloseTo(0.3, 12);
    const charges = await prisma.ledgerEntry.findMany({ where: { jobId: job.id, kind: "CHARGE" } });
    expect(charges.map((entry) => [entry.mechanism, entry.runId])).toEqual([["gaussian-label-set", "labelset-1"]]);
    expect(charges.reduce((sum, entry) => sum + entry.delta, 0)).toBeCloseTo(1e-6, 15);
  });

  it("charges a run that started over in addition to the runs before it, never instead", async () => {
    const job = await seedJob(prisma, { epsilon: 3 });
    const privacy = (seq: number, runId: string, epsilon: number, delta: number, attempt = 1) =>
      trainerEvent(job.id, seq, { type: "privacy", mechanism: "dp-sgd", runId, epsilon, delta, steps: seq }, attempt);
    await persistEvent(prisma, privacy(0, "run-first", 0.6, 1e-5));
    await persistEvent(prisma, privacy(1, "run-first", 0.9, 1e-5));
    // The next attempt found no checkpoint: a new run, which first charges the first run's started steps.
    await persistEvent(prisma, privacy(2, "run-first", 1.0, 1e-5, 2));
    await persistEvent(prisma, privacy(3, "run-second", 0.7, 0, 2));
    await persistEvent(prisma, privacy(4, "run-second", 1.8, 0, 2));
    const ledger = await ledgerOf(prisma, job.id);
    expect(ledger.chargedBy("dp-sgd")).toBeCloseTo(1.0 + 1.8, 12);
    expect(ledger.entries.filter((e) => e.kind === "CHARGE").reduce((sum, e) => sum + e.delta, 0)).toBeCloseTo(1e-5);
  });

  it("fails a job whose trainer reports more than it reserved: the excess is refused and an admin is told", async () => {
    const job = await seedJob(prisma, { epsilon: 2 });
    await persistEvent(prisma, trainerEvent(job.id, 0, { type: "stage", stage: "training" }));
    const over = trainerEvent(job.id, 1, {
      type: "privacy",
      mechanism: "dp-sgd",
      runId: "run-1",
      epsilon: 2.5,
      delta: 1e-5,
      steps: 4,
    });
    expect(await persistEvent(prisma, over)).toBe("refused");
    const after = await prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after).toMatchObject({ status: "FAILED", errorCode: "ledger_refused", epsilonSpent: 2 });
    expect(after.errorMessage).toBe(
      "The trainer reported spending epsilon 2.5 more through dp-sgd, with 2 left of its reservation. The ledger " +
        "refused the excess and charged the whole reservation; the job was stopped and an admin was alerted.",
    );
    const ledger = await ledgerOf(prisma, job.id);
    expect([ledger.charged, ledger.released, ledger.releaseCount]).toEqual([2, 0, 1]);
    const alert = await prisma.auditEvent.findFirstOrThrow({ where: { subjectId: job.id } });
    expect(alert).toMatchObject({ action: "ledger.charge_refused", actorId: null, subjectType: "job" });
    expect(alert.detail).toMatchObject({ asked: 2.5, reserved: 2, refused: 0.5 });
    // The trainer's later events (before it sees the stop) change nothing.
    const late = trainerEvent(job.id, 2, { ...over, seq: 2, epsilon: 2.8 } as typeof over);
    expect(await persistEvent(prisma, late)).toBe("refused");
    expect((await ledgerOf(prisma, job.id)).charged).toBe(2);
    expect(await prisma.auditEvent.count({ where: { subjectId: job.id } })).toBe(1);
  });

  it("keeps a job running on a retryable error and fails it, charged and settled, on a final one", async () => {
    const job = await seedJob(prisma, { epsilon: 2 });
    await persistEvent(prisma, trainerEvent(job.id, 0, { type: "stage", stage: "training" }));
    await persistEvent(
      prisma,
      trainerEvent(job.id, 1, {
        type: "privacy",
        mechanism: "dp-sgd",
        runId: "run-1",
        epsilon: 0.4,
        delta: 1e-5,
        steps: 1,
      }),
    );
    const retryable = { type: "error", code: "out_of_memory", message: "Out of memory.", retryable: true } as const;
    await persistEvent(prisma, trainerEvent(job.id, 2, retryable));
    expect(await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: "RUNNING" });
    expect((await ledgerOf(prisma, job.id)).releaseCount).toBe(0);

    await persistEvent(prisma, trainerEvent(job.id, 3, { ...retryable, retryable: false }, 2));
    expect(await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({
      status: "FAILED",
      errorCode: "out_of_memory",
      errorMessage: "Out of memory.",
    });
    const ledger = await ledgerOf(prisma, job.id);
    expect(ledger.charged).toBeCloseTo(0.4, 12);
    expect(ledger.released).toBeCloseTo(1.6, 12);
  });

  it("records the rows a result delivered and its warnings, so a shortfall stays visible on a succeeded job", async () => {
    const job = await seedJob(prisma);
    const warnings = ["Only 7 of the 20 rows asked for passed the re-scoring within 4 candidates per row."];
    await persistEvent(
      prisma,
      trainerEvent(job.id, 0, {
        type: "result",
        training: summary,
        metrics: {},
        artifacts: ["synthetic.csv", "report.json"],
        rows: { requested: 20, produced: 7 },
        warnings,
      }),
    );
    expect(await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({
      status: "SUCCEEDED",
      rowsRequested: 20,
      rowsProduced: 7,
      warnings,
    });
  });

  it("fails a job whose trainer produced no usable row, with the trainer's message, and settles it", async () => {
    const job = await seedJob(prisma, { epsilon: 2 });
    await persistEvent(
      prisma,
      trainerEvent(job.id, 0, {
        type: "privacy",
        mechanism: "dp-sgd",
        runId: "run-1",
        epsilon: 1.2,
        delta: 1e-5,
        steps: 4,
      }),
    );
    const message = "No synthetic row passed within 80 candidates: train longer or turn re-scoring off.";
    await persistEvent(prisma, trainerEvent(job.id, 1, { type: "error", code: "no_rows", message, retryable: false }));
    const failed = await prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(failed).toMatchObject({ status: "FAILED", errorCode: "no_rows", errorMessage: message });
    expect(failed.rowsProduced).toBeNull();
    const ledger = await ledgerOf(prisma, job.id);
    expect([ledger.charged, ledger.released]).toEqual([1.2, 0.8]);
  });

  it("ends a job CANCELLED on the trainer's cancelled error, and a late stage event does not revive it", async () => {
    const job = await seedJob(prisma);
    await persistEvent(prisma, trainerEvent(job.id, 0, { type: "stage", stage: "training" }));
    const cancelled = { type: "error", code: "cancelled", message: "Cancelled.", retryable: false } as const;
    await persistEvent(prisma, trainerEvent(job.id, 1, cancelled));
    await persistEvent(prisma, trainerEvent(job.id, 2, { type: "stage", stage: "sampling" }));
    expect(await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({
      status: "CANCELLED",
      stage: "training",
    });
    expect((await ledgerOf(prisma, job.id)).released).toBeCloseTo(3, 12);
  });

  it("commits an event with its charge, settlement and final status, or none of them when the transaction dies", async () => {
    const job = await seedJob(prisma, { epsilon: 2 });
    const events = [
      trainerEvent(job.id, 0, {
        type: "privacy",
        mechanism: "dp-sgd",
        runId: "run-1",
        epsilon: 0.5,
        delta: 1e-5,
        steps: 1,
      }),
      trainerEvent(job.id, 1, {
        type: "result",
        training: { ...summary, epsilon: 0.5 },
        metrics: { "eval/tstr_accuracy_tfidf": 0.6 },
        artifacts: [],
        rows: { requested: 20, produced: 20 },
        warnings: [],
      }),
    ];
    const before = await snapshot(job.id);
    // The event's own row is written after its ledger entries: a failure there is a crash "in between".
    await crashOnEventInsert(async () => {
      for (const event of events) await expect(persistEvent(prisma, event)).rejects.toThrow(/simulated crash/);
    });
    expect(await snapshot(job.id)).toEqual(before);

    for (const event of events) expect(await persistEvent(prisma, event)).toBe("persisted");
    const ledger = await ledgerOf(prisma, job.id);
    expect(ledger).toMatchObject({ chargeCount: 1, releaseCount: 1 });
    expect(ledger.charged).toBeCloseTo(0.5, 12);
    expect(ledger.released).toBeCloseTo(1.5, 12);
    expect(await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({
      status: "SUCCEEDED",
      epsilonSpent: 0.5,
    });
  });
});

/** Runs `work` while PostgreSQL refuses every JobEvent insert in this file's schema, as a dying process would. */
async function crashOnEventInsert(work: () => Promise<void>) {
  const table = `"${db.schema}"."JobEvent"`;
  await prisma.$executeRawUnsafe(
    `CREATE FUNCTION "${db.schema}".simulated_crash() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated crash'; END $$`,
  );
  await prisma.$executeRawUnsafe(
    `CREATE TRIGGER simulated_crash BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION "${db.schema}".simulated_crash()`,
  );
  try {
    await work();
  } finally {
    await prisma.$executeRawUnsafe(`DROP TRIGGER simulated_crash ON ${table}`);
    await prisma.$executeRawUnsafe(`DROP FUNCTION "${db.schema}".simulated_crash()`);
  }
}
