import type { PrismaClient } from "@dpsynth/db";
import { createTestDatabase, type TestDatabase } from "@dpsynth/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestStack, waitFor } from "./test-stack.ts";
import { ledgerOf, seedJob } from "./test-support.ts";

/**
 * Control's own paths, with a real queue and (where a job must fail in BullMQ) a real trainer process: a
 * queued job cancelled, a job that failed while control was down, a job lost from the queue.
 */

let db: TestDatabase;
let prisma: PrismaClient;
let stack: TestStack;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = db.prisma;
  stack = new TestStack(prisma);
});
afterAll(async () => {
  await stack?.close();
  await db?.drop();
});

const jobOf = (id: string) => prisma.job.findUniqueOrThrow({ where: { id } });

function spec(jobId: string) {
  return {
    schemaVersion: 1,
    jobId,
    datasetId: "ds",
    model: { id: "tiny-gpt2" },
    privacy: { epsilon: 3, delta: 1e-5 },
    sampling: { rows: 10 },
    data: {
      trainUri: "file:///nowhere/train.csv",
      holdoutUri: "file:///nowhere/holdout.csv",
      textColumn: "review",
      labelColumn: "label",
      labels: [
        { value: "fresh", description: "a positive review" },
        { value: "rotten", description: "a negative review" },
      ],
      subject: "movie review snippet",
      trainRows: 40,
    },
    outputUri: `file:///nowhere/jobs/${jobId}/`,
  };
}

describe("control without a running trainer", () => {
  it("settles at start-up a job that BullMQ failed while control was down", async () => {
    const job = await seedJob(prisma, { epsilon: 2 });
    const bad = { ...spec(job.id), privacy: { epsilon: -1, delta: 1e-5 } };
    const trainer = stack.trainer();
    await trainer.ready;
    await stack.enqueue(job.id, bad, 3);
    await waitFor(async () => (await stack.queue.getJobState(job.id)) === "failed", "BullMQ to fail the job");
    trainer.process.kill("SIGTERM");
    expect(await trainer.exited).toBe(0);
    expect(await jobOf(job.id)).toMatchObject({ status: "QUEUED" }); // nobody told PostgreSQL yet

    await stack.startControl(); // recovery runs before anything else
    const failed = await jobOf(job.id);
    expect(failed).toMatchObject({ status: "FAILED", errorCode: "bad_input" });
    expect(failed.errorMessage).toContain("privacy.epsilon");
    expect((await stack.queue.getJob(job.id))?.attemptsMade).toBe(1); // no retries of a bad payload
    const ledger = await ledgerOf(prisma, job.id);
    expect([ledger.charged, ledger.released]).toEqual([0, 2]);
  }, 60_000);

  it("takes a queued job off the queue when its cancel is requested and releases its whole reservation", async () => {
    const job = await seedJob(prisma, { epsilon: 1.5 });
    await stack.enqueue(job.id, spec(job.id));
    expect(await stack.queue.getJobState(job.id)).toBe("waiting");
    await prisma.job.update({ where: { id: job.id }, data: { cancelRequestedAt: new Date() } });

    await waitFor(async () => (await jobOf(job.id)).status === "CANCELLED", "the job to be cancelled");
    expect(await stack.queue.getJobState(job.id)).toBe("unknown");
    expect(await stack.redis.exists(`dpsynth:cancel:${job.id}`)).toBe(1); // in case a trainer took it meanwhile
    const ledger = await ledgerOf(prisma, job.id);
    expect([ledger.charged, ledger.released, ledger.releaseCount]).toEqual([0, 1.5, 1]);
  });

  it("takes a queued job of two devices off its own queue when its cancel is requested", async () => {
    const job = await seedJob(prisma, { epsilon: 1 });
    const twoDevices = { ...spec(job.id), training: { devices: 2 } };
    await prisma.job.update({ where: { id: job.id }, data: { spec: twoDevices } });
    await stack.enqueue(job.id, twoDevices);
    expect(await stack.queues.for(2).getJobState(job.id)).toBe("waiting");
    expect(await stack.queue.getJobState(job.id)).toBe("unknown");
    await prisma.job.update({ where: { id: job.id }, data: { cancelRequestedAt: new Date() } });

    await waitFor(async () => (await jobOf(job.id)).status === "CANCELLED", "the job to be cancelled");
    expect(await stack.queues.for(2).getJobState(job.id)).toBe("unknown");
    const ledger = await ledgerOf(prisma, job.id);
    expect([ledger.charged, ledger.released, ledger.releaseCount]).toEqual([0, 1, 1]);
  });

  it("fails a job that vanished from the queue, but not one enqueued a moment after its row was written", async () => {
    const lost = await seedJob(prisma, { epsilon: 1 });
    const late = await seedJob(prisma, { epsilon: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await stack.enqueue(late.id, spec(late.id));

    const failed = await waitFor(async () => {
      const job = await jobOf(lost.id);
      return job.status === "FAILED" && job;
    }, "the lost job to be failed");
    expect(failed.errorCode).toBe("lost");
    expect(failed.errorMessage).toContain("Submit it again");
    expect((await ledgerOf(prisma, lost.id)).released).toBe(1);
    expect(await jobOf(late.id)).toMatchObject({ status: "QUEUED" });
  });

  it("releases the reservation of a job the web ended itself (rejected)", async () => {
    const job = await seedJob(prisma, { epsilon: 0.5 });
    await prisma.job.update({ where: { id: job.id }, data: { status: "REJECTED" } });
    await waitFor(async () => (await ledgerOf(prisma, job.id)).releaseCount === 1, "the reservation to be released");
    expect((await ledgerOf(prisma, job.id)).released).toBe(0.5);
  });
});
