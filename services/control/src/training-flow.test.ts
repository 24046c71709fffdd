import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jobRedisKeys, REDIS_KEYS, type TResultEvent, type TTrainerEvent } from "@dpsynth/contracts";
import type { PrismaClient } from "@dpsynth/db";
import { createTestDatabase, type TestDatabase } from "@dpsynth/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventConsumer } from "./event-consumer.ts";
import { createLogger } from "./log.ts";
import { REPO_ROOT, TestStack, type TTrainerProcess, waitFor } from "./test-stack.ts";
import { ledgerOf, seedJob } from "./test-support.ts";

/**
 * End to end with real processes: control (in-process modules), PostgreSQL, Redis, BullMQ, and CPU trainers
 * (`python -m dpsynth_trainer worker`) running the real pipeline on a tiny GPT-2 and a few dozen rows.
 */

let db: TestDatabase;
let prisma: PrismaClient;
let stack: TestStack;
let blobDir: string;
/** Trainers still running; each test takes as many as it needs, and one that survives a test serves the next. */
let running: TTrainerProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = db.prisma;
  stack = new TestStack(prisma);
  blobDir = mkdtempSync(join(tmpdir(), "dpsynth-control-"));
  // A few dozen real review snippets from the trainer's fixture: 40 to train on, 20 held out.
  const [header, ...rows] = readFileSync(`${REPO_ROOT}services/trainer/tests/fixtures/rotten_tomatoes_600.csv`, "utf8")
    .trim()
    .split("\n");
  writeFileSync(join(blobDir, "train.csv"), [header, ...rows.slice(0, 40)].join("\n"));
  writeFileSync(join(blobDir, "holdout.csv"), [header, ...rows.slice(40, 60)].join("\n"));
  await stack.startControl();
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await db?.drop();
  if (blobDir) rmSync(blobDir, { recursive: true, force: true });
}, 60_000);

/** At least `count` ready trainers (each costs seconds of imports, so they are shared between tests). */
async function trainers(count: number): Promise<TTrainerProcess[]> {
  running = running.filter((t) => t.process.exitCode === null && t.process.signalCode === null);
  while (running.length < count) {
    running.push(stack.trainer({ BLOB_STORE_URL: `file://${blobDir}`, DPSYNTH_HOME: join(blobDir, "home") }));
  }
  await Promise.all(running.map((t) => t.ready));
  return running;
}

/** The trainer running the job's current attempt: the worker writes it to the job's BullMQ log. */
async function holderOf(jobId: string): Promise<TTrainerProcess> {
  const { logs } = await stack.queue.getJobLogs(jobId);
  const holder = running.find((t) => logs.at(-1)?.endsWith(`:${t.pid}`));
  if (!holder) throw new Error(`no trainer of this test holds the job (logs: ${logs.join(" | ")})`);
  return holder;
}

/**
 * The spec the web would send: tiny GPT-2 with LoRA, `epochs` passes of 5 logical steps of 8 rows, a checkpoint
 * after each. The long runs use the RDP accountant, which is quicker to evaluate at every step than PRV.
 */
function specFor(
  jobId: string,
  datasetId: string,
  epochs = 1,
  accountant: "prv" | "rdp" = "prv",
  labelMix: "uniform" | "dp-counts" = "uniform",
) {
  return {
    schemaVersion: 1,
    jobId,
    datasetId,
    model: { id: "tiny-gpt2", finetune: "lora" },
    privacy: {
      epsilon: 3,
      delta: 1e-5,
      maxGradNorm: 1.0,
      accountant,
      labelCounts: labelMix === "dp-counts" ? LABEL_COUNTS_SHARE : null,
    },
    training: {
      epochs,
      learningRate: 1e-3,
      logicalBatchSize: 8,
      physicalBatchSize: 8,
      maxSeqLen: 48,
      checkpointEvery: 1,
    },
    // These tests are about the platform: re-scoring (a forward pass per label per candidate) is off.
    sampling: { rows: 8, labelMix: { kind: labelMix }, maxNewTokens: 12, batchSize: 8, rescoring: false },
    evaluation: { classifiers: ["tfidf"] },
    data: {
      trainUri: `file://${blobDir}/train.csv`,
      holdoutUri: `file://${blobDir}/holdout.csv`,
      textColumn: "review",
      labelColumn: "label",
      // Short words: the tiny test model's tokenizer spends about a token per character of the prompt.
      labels: [
        { value: "fresh", description: "positive" },
        { value: "rotten", description: "negative" },
      ],
      trainRows: 40,
    },
    outputUri: `file://${blobDir}/jobs/${jobId}/`,
  };
}

/** The share of the job's (epsilon, delta) a DP label-count release takes, as the web writes it into a spec. */
const LABEL_COUNTS_SHARE = { epsilon: 0.15, delta: 5e-7 };

/** A Job row with its reservation and spec, enqueued: what POST /api/v1/jobs does. */
async function submit(epochs = 1, accountant: "prv" | "rdp" = "prv", labelMix: "uniform" | "dp-counts" = "uniform") {
  const seeded = await seedJob(prisma, { epsilon: 3, delta: 1e-5 });
  const spec = specFor(seeded.id, seeded.datasetId, epochs, accountant, labelMix);
  await prisma.job.update({ where: { id: seeded.id }, data: { spec } });
  await stack.enqueue(seeded.id, spec);
  return seeded.id;
}

/** The trainer's events for a job, straight from its Redis stream. */
async function streamEvents(jobId: string): Promise<TTrainerEvent[]> {
  const entries = await stack.redis.xrange(jobRedisKeys(jobId).events, "-", "+");
  return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf(REDIS_KEYS.eventField) + 1] ?? "{}"));
}

async function lastPrivacySteps(jobId: string): Promise<number> {
  const privacy = (await streamEvents(jobId)).filter((e) => e.type === "privacy" && e.mechanism === "dp-sgd");
  return privacy.reduce((steps, e) => Math.max(steps, e.type === "privacy" ? e.steps : 0), 0);
}

async function finalJob(jobId: string, timeoutMs: number) {
  return waitFor(
    async () => {
      const job = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
      return ["SUCCEEDED", "FAILED", "CANCELLED"].includes(job.status) && job;
    },
    `job ${jobId} to end`,
    timeoutMs,
  );
}

async function resultOf(jobId: string): Promise<TResultEvent> {
  const row = await prisma.jobEvent.findFirstOrThrow({ where: { jobId, type: "result" } });
  return row.payload as unknown as TResultEvent;
}

/** The job the first test ran to SUCCEEDED, which later tests compare against. */
let succeededId = "";

describe("a training job end to end", () => {
  it("goes from the queue to SUCCEEDED with metric points, artifacts and a ledger charged the accountant's epsilon", async () => {
    await trainers(1);
    const started = Date.now();
    const jobId = await submit();
    const job = await finalJob(jobId, 240_000);
    console.info(`[timing] enqueue → SUCCEEDED: ${Date.now() - started} ms`);
    expect(job).toMatchObject({ status: "SUCCEEDED", stage: "done", attempts: 1, errorCode: null });

    const result = await resultOf(jobId);
    expect(result.training.steps).toBe(5);
    const epsilon = result.training.epsilon as number;
    expect(epsilon).toBeGreaterThan(0);
    expect(epsilon).toBeLessThanOrEqual(3);

    const points = await prisma.metricPoint.findMany({
      where: { jobId, loss: { not: null } },
      orderBy: { step: "asc" },
    });
    expect(points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    expect(points.every((p) => Number.isFinite(p.loss) && (p.epsilon ?? 0) > 0)).toBe(true);
    expect(points.at(-1)?.epsilon).toBeCloseTo(epsilon, 9);

    const artifacts = await prisma.artifact.findMany({ where: { jobId }, orderBy: { name: "asc" } });
    expect(artifacts.map((a) => a.name)).toEqual(
      expect.arrayContaining(["report.html", "report.json", "synthetic.csv"]),
    );
    for (const artifact of artifacts) expect(artifact.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(job.metrics).toEqual(result.metrics);
    // What the trainer delivered is on the row, whatever it was: the job's outcome is read from these.
    expect(job).toMatchObject({ rowsRequested: 8, rowsProduced: result.rows.produced, warnings: result.warnings });
    if (result.rows.produced < 8) expect(result.warnings.length).toBeGreaterThan(0);

    const ledger = await ledgerOf(prisma, jobId);
    expect(ledger.chargedBy("dp-sgd")).toBeCloseTo(epsilon, 9);
    expect(job.epsilonSpent).toBeCloseTo(epsilon, 9);
    expect(ledger.released).toBeCloseTo(3 - epsilon, 9); // the reservation is fully settled
    expect(ledger.charged + ledger.released).toBeCloseTo(ledger.reserved, 9);
    expect(ledger.releaseCount).toBe(1);
    succeededId = jobId;
  }, 300_000);

  it("persists events idempotently: replaying the finished job's stream twice changes nothing", async () => {
    expect(succeededId).not.toBe("");
    const snapshot = async () => ({
      job: await prisma.job.findUniqueOrThrow({ where: { id: succeededId } }),
      events: await prisma.jobEvent.count({ where: { jobId: succeededId } }),
      points: await prisma.metricPoint.count({ where: { jobId: succeededId } }),
      artifacts: await prisma.artifact.findMany({ where: { jobId: succeededId }, orderBy: { name: "asc" } }),
      ledger: (await ledgerOf(prisma, succeededId)).entries.map((e) => e.id),
    });
    const before = await snapshot();
    expect(before.events).toBe((await streamEvents(succeededId)).length);
    const stream = jobRedisKeys(succeededId).events;
    for (const event of await streamEvents(succeededId)) {
      await stack.redis.xadd(stream, "*", REDIS_KEYS.eventField, JSON.stringify(event)); // the whole stream, twice over
    }
    const blocking = stack.redis.duplicate();
    const replay = new EventConsumer({
      prisma,
      redis: stack.redis,
      blockingRedis: blocking,
      blockMs: 50,
      log: createLogger("replay", "error"),
    });
    await replay.drain(succeededId); // a fresh consumer starts at the beginning of the stream
    await replay.drain(succeededId);
    blocking.disconnect();
    expect(await snapshot()).toEqual(before);
  });

  it("a bad payload fails at once, without retries, with an error the owner can act on", async () => {
    await trainers(1);
    const seeded = await seedJob(prisma, { epsilon: 3 });
    const spec = specFor(seeded.id, seeded.datasetId);
    const bad = { ...spec, training: { ...spec.training, physicalBatchSize: 0 } };
    const started = Date.now();
    await stack.enqueue(seeded.id, bad, 3);
    const job = await finalJob(seeded.id, 30_000);
    console.info(`[timing] bad payload → FAILED: ${Date.now() - started} ms`);
    expect(job).toMatchObject({ status: "FAILED", errorCode: "bad_input", attempts: 1 });
    expect(job.errorMessage).toContain("training.physicalBatchSize");
    expect((await stack.queue.getJob(seeded.id))?.attemptsMade).toBe(1);
    const errors = await prisma.jobEvent.findMany({ where: { jobId: seeded.id } });
    expect(errors.map((e) => e.type)).toEqual(["error"]); // nothing was loaded or trained
    const ledger = await ledgerOf(prisma, seeded.id);
    expect([ledger.charged, ledger.released]).toEqual([0, 3]);
  }, 60_000);

  it("cancels a running job: it stops within one logical step, ends CANCELLED and pays for the steps it took", async () => {
    await trainers(1);
    const jobId = await submit(4, "rdp"); // 20 steps: long enough to be caught mid-way
    await waitFor(async () => (await lastPrivacySteps(jobId)) >= 2, "two training steps", 180_000);

    const requested = Date.now();
    await prisma.job.update({ where: { id: jobId }, data: { cancelRequestedAt: new Date() } }); // the web's part
    // Control raises the trainer's flag on its next sweep; the trainer checks it before every logical step.
    await waitFor(() => stack.redis.exists(jobRedisKeys(jobId).cancel), "control to raise the cancel flag", 10_000);
    const stepsAtFlag = await lastPrivacySteps(jobId);
    const job = await finalJob(jobId, 60_000);
    console.info(`[timing] cancel request → CANCELLED: ${Date.now() - requested} ms`);

    expect(job.status).toBe("CANCELLED");
    const stepsTaken = await lastPrivacySteps(jobId);
    expect(stepsTaken).toBeLessThan(20);
    expect(stepsTaken).toBeLessThanOrEqual(stepsAtFlag + 1); // at most the step that was under way
    const lastPrivacy = (await streamEvents(jobId)).filter((e) => e.type === "privacy").at(-1);
    const ledger = await ledgerOf(prisma, jobId);
    expect(ledger.chargedBy("dp-sgd")).toBeCloseTo(lastPrivacy?.type === "privacy" ? lastPrivacy.epsilon : -1, 9);
    expect(ledger.chargedBy("dp-sgd")).toBeGreaterThan(0);
    expect(ledger.charged + ledger.released).toBeCloseTo(3, 9);
    const error = (await streamEvents(jobId)).find((e) => e.type === "error");
    expect(error).toMatchObject({ code: "cancelled", retryable: false });
  }, 300_000);

  it("resumes a job whose trainer was SIGKILLed on another trainer, from its checkpoint, charging each step once", async () => {
    await trainers(2);
    const jobId = await submit(2, "rdp"); // 10 steps
    await waitFor(async () => (await lastPrivacySteps(jobId)) >= 3, "three training steps", 180_000);
    const holder = await holderOf(jobId);
    const killedAt = Date.now();
    holder.process.kill("SIGKILL");
    await holder.exited;
    const stepsBeforeKill = await lastPrivacySteps(jobId);
    expect(stepsBeforeKill).toBeLessThan(10); // killed mid-training
    // BullMQ finds the job stalled once the dead trainer's lock expires, and the idle trainer takes it.
    await waitFor(
      async () => (await streamEvents(jobId)).some((e) => e.attempt === 2),
      "the second attempt to start",
      60_000,
    );
    console.info(`[timing] SIGKILL → resumed on the other trainer: ${Date.now() - killedAt} ms`);

    const job = await finalJob(jobId, 240_000);
    console.info(`[timing] SIGKILL → SUCCEEDED: ${Date.now() - killedAt} ms`);
    expect(job).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    const events = await streamEvents(jobId);
    expect(events.some((e) => e.type === "log" && e.attempt === 2 && e.message.startsWith("Resumed at step"))).toBe(
      true,
    );
    const secondAttemptSteps = events
      .filter((e) => e.type === "metric" && e.attempt === 2 && "train/loss" in e.values)
      .map((e) => (e.type === "metric" ? e.step : -1));
    expect(secondAttemptSteps[0]).toBeGreaterThan(stepsBeforeKill - 1); // continued, not from step 1

    const result = await resultOf(jobId);
    expect(result.training.steps).toBe(10);
    const ledger = await ledgerOf(prisma, jobId);
    expect(ledger.chargedBy("dp-sgd")).toBeCloseTo(result.training.epsilon as number, 9);
    expect(job.epsilonSpent).toBeCloseTo(result.training.epsilon as number, 9);
    expect(ledger.charged + ledger.released).toBeCloseTo(3, 9);
    expect(ledger.releaseCount).toBe(1);
  }, 300_000);

  it("hands a job back when its trainer gets SIGTERM: the trainer exits after the step, another resumes it, no attempt lost", async () => {
    await trainers(2);
    const jobId = await submit(2, "rdp"); // 10 steps
    await waitFor(async () => (await lastPrivacySteps(jobId)) >= 2, "two training steps", 180_000);
    const holder = await holderOf(jobId);
    const stoppedAt = Date.now();
    holder.process.kill("SIGTERM");
    expect(await holder.exited).toBe(0);
    console.info(`[timing] SIGTERM → trainer exited: ${Date.now() - stoppedAt} ms`);

    const job = await finalJob(jobId, 240_000);
    console.info(`[timing] SIGTERM → SUCCEEDED on the other trainer: ${Date.now() - stoppedAt} ms`);
    expect(job).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    expect((await stack.queue.getJob(jobId))?.attemptsMade).toBe(1); // the hand-back did not use up an attempt
    const events = await streamEvents(jobId);
    expect(events.filter((e) => e.type === "error")).toEqual([]);
    expect(events.some((e) => e.type === "log" && e.attempt === 1 && e.message.includes("shutting down"))).toBe(true);
    const firstAttemptSteps = events.filter((e) => e.type === "privacy" && e.attempt === 1).length;
    const resumed = events.find((e) => e.type === "log" && e.attempt === 2 && e.message.startsWith("Resumed at step"));
    expect(resumed?.type === "log" && resumed.message).toContain(
      `Resumed at step ${firstAttemptSteps} of 10: checkpoint at step ${firstAttemptSteps}, 0 step(s) after it lost`,
    );

    const result = await resultOf(jobId);
    expect(result.training.steps).toBe(10);
    expect((await ledgerOf(prisma, jobId)).chargedBy("dp-sgd")).toBeCloseTo(result.training.epsilon as number, 9);
  }, 300_000);

  it("charges a retry that lost its work directory as a new run, in addition to the first, and draws label counts once", async () => {
    // Trainers whose work directories are their own (no shared volume), so a retry elsewhere finds no checkpoint.
    for (const trainer of running) trainer.process.kill("SIGTERM");
    await Promise.all(running.map((trainer) => trainer.exited));
    const workDir = join(blobDir, "local-work");
    const env = { BLOB_STORE_URL: `file://${blobDir}`, DPSYNTH_HOME: join(blobDir, "home"), DPSYNTH_WORK_DIR: workDir };
    running = [stack.trainer(env)];
    await Promise.all(running.map((t) => t.ready));
    const jobId = await submit(1, "rdp", "dp-counts"); // 5 steps, label counts released first
    await waitFor(async () => (await lastPrivacySteps(jobId)) >= 2, "two training steps", 180_000);
    const [first] = running as [TTrainerProcess];
    first.process.kill("SIGKILL");
    await first.exited;
    rmSync(join(workDir, jobId), { recursive: true, force: true }); // its checkpoints are gone with it
    running = [stack.trainer(env)];

    const job = await finalJob(jobId, 300_000);
    expect(job).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    const events = await streamEvents(jobId);
    expect(
      events.some(
        (e) => e.type === "log" && e.attempt === 2 && e.message.includes("No checkpoint of this job's earlier"),
      ),
    ).toBe(true);
    const privacy = events.flatMap((e) => (e.type === "privacy" ? [e] : []));
    const lastOfRun = new Map(privacy.map((e) => [`${e.mechanism}/${e.runId}`, e]));
    const ledger = await ledgerOf(prisma, jobId);
    const charges = ledger.entries.filter((e) => e.kind === "CHARGE");

    // Two training runs, each charged its last cumulative report: the ledger holds their sum.
    const trainingRuns = [...lastOfRun.values()].filter((e) => e.mechanism === "dp-sgd");
    expect(trainingRuns).toHaveLength(2);
    const sumOfRuns = trainingRuns.reduce((sum, e) => sum + e.epsilon, 0);
    expect(ledger.chargedBy("dp-sgd")).toBeCloseTo(sumOfRuns, 9);
    expect(new Set(charges.filter((e) => e.mechanism === "dp-sgd").map((e) => e.runId)).size).toBe(2);
    const result = await resultOf(jobId);
    expect(result.training.epsilon as number).toBeCloseTo(sumOfRuns, 9); // the composition of every step taken
    expect(sumOfRuns).toBeLessThanOrEqual(3 - LABEL_COUNTS_SHARE.epsilon);
    expect(result.training.runId).toBe(trainingRuns.at(-1)?.runId);

    // The label counts: one release, reused by the retry, charged once.
    const labelReleases = new Set(privacy.filter((e) => e.mechanism === "gaussian-label-counts").map((e) => e.runId));
    expect(labelReleases.size).toBe(1);
    expect(ledger.chargedBy("gaussian-label-counts")).toBeCloseTo(LABEL_COUNTS_SHARE.epsilon, 12);
    const released = JSON.parse(readFileSync(join(blobDir, "jobs", jobId, "label-mix.json"), "utf8"));
    expect(released).toMatchObject({ state: "released", releaseId: [...labelReleases][0] });

    expect(ledger.charged + ledger.released).toBeCloseTo(3, 9);
    expect(ledger.releaseCount).toBe(1);
  }, 420_000);
});

describe("a job of several devices", () => {
  it("runs on a trainer of two devices under torchrun, on its own queue, charged once the epsilon of one device", async () => {
    // The one-device trainers stay up: they read the queue `train`, never `train-2gpu`.
    const pair = stack.trainer({
      BLOB_STORE_URL: `file://${blobDir}`,
      DPSYNTH_HOME: join(blobDir, "home"),
      TRAINER_DEVICES: "2",
    });
    await pair.ready;
    const seeded = await seedJob(prisma, { epsilon: 3, delta: 1e-5 });
    const base = specFor(seeded.id, seeded.datasetId);
    const spec = { ...base, training: { ...base.training, devices: 2 } };
    await prisma.job.update({ where: { id: seeded.id }, data: { spec } });
    await stack.enqueue(seeded.id, spec);
    expect(await stack.queues.for(2).getJobState(seeded.id)).not.toBe("unknown");

    const job = await finalJob(seeded.id, 300_000);
    expect(job).toMatchObject({ status: "SUCCEEDED", stage: "done", attempts: 1, errorCode: null });
    const { logs } = await stack.queues.for(2).getJobLogs(seeded.id);
    expect(logs.at(-1)).toMatch(new RegExp(`on trainer .*:${pair.pid}$`));
    const result = await resultOf(seeded.id);
    expect(result.training.steps).toBe(5);
    const epsilon = result.training.epsilon as number;
    if (succeededId) {
      // The same spec on one device (the first test of this file): two processes spend exactly its epsilon.
      expect(epsilon).toBeCloseTo((await resultOf(succeededId)).training.epsilon as number, 9);
    }
    const points = await prisma.metricPoint.findMany({ where: { jobId: seeded.id, loss: { not: null } } });
    expect(points.map((p) => p.step).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]); // each step said once
    const artifacts = await prisma.artifact.findMany({ where: { jobId: seeded.id }, orderBy: { name: "asc" } });
    expect(artifacts.map((a) => a.name)).toEqual(["report.html", "report.json", "synthetic.csv"]);

    const ledger = await ledgerOf(prisma, seeded.id);
    expect(ledger.chargedBy("dp-sgd")).toBeCloseTo(epsilon, 9);
    expect(new Set(ledger.entries.filter((e) => e.kind === "CHARGE").map((e) => e.runId)).size).toBe(1);
    expect(ledger.charged + ledger.released).toBeCloseTo(ledger.reserved, 9);
    expect(ledger.releaseCount).toBe(1);
    pair.process.kill("SIGTERM");
    expect(await pair.exited).toBe(0);
  }, 360_000);
});
