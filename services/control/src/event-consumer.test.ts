import { jobRedisKeys, REDIS_KEYS } from "@dpsynth/contracts";
import type { PrismaClient } from "@dpsynth/db";
import { createTestDatabase, type TestDatabase } from "@dpsynth/db/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventConsumer } from "./event-consumer.ts";
import { createLogger } from "./log.ts";
import { ledgerOf, seedJob, trainerEvent } from "./test-support.ts";

let db: TestDatabase;
let prisma: PrismaClient;
let redis: Redis;
const connections: Redis[] = [];
const jobIds: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = db.prisma;
  redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
});
afterAll(async () => {
  for (const id of jobIds) await redis.del(...Object.values(jobRedisKeys(id)));
  for (const connection of connections) connection.disconnect();
  redis.disconnect();
  await db.drop();
});

function consumer() {
  const blockingRedis = redis.duplicate();
  connections.push(blockingRedis);
  return new EventConsumer({ prisma, redis, blockingRedis, blockMs: 50, log: createLogger("test", "error") });
}

async function append(jobId: string, events: object[]) {
  for (const event of events)
    await redis.xadd(jobRedisKeys(jobId).events, "*", REDIS_KEYS.eventField, JSON.stringify(event));
}

async function state(jobId: string) {
  const job = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  const ledger = await ledgerOf(prisma, jobId);
  return {
    status: job.status,
    stage: job.stage,
    epsilonSpent: job.epsilonSpent,
    lastEventSeq: job.lastEventSeq,
    events: await prisma.jobEvent.count({ where: { jobId } }),
    points: await prisma.metricPoint.count({ where: { jobId } }),
    ledger: ledger.entries.map(({ kind, epsilon }) => [kind, epsilon]),
  };
}

/** Polls until the consumer has nothing new for a few rounds. */
async function settle(c: EventConsumer) {
  let quiet = 0;
  while (quiet < 3) quiet = (await c.pollOnce()) === 0 ? quiet + 1 : 0;
}

function run(jobId: string) {
  return [
    trainerEvent(jobId, 0, { type: "stage", stage: "training" }),
    trainerEvent(jobId, 1, { type: "metric", step: 1, epoch: 1, values: { "train/loss": 2, "privacy/epsilon": 0.7 } }),
    trainerEvent(jobId, 2, {
      type: "privacy",
      mechanism: "dp-sgd",
      runId: "run-1",
      epsilon: 0.7,
      delta: 1e-5,
      steps: 1,
    }),
  ];
}

describe("EventConsumer", () => {
  it("persists a job's stream, and a replay of the same stream (twice, by fresh consumers) changes nothing", async () => {
    const job = await seedJob(prisma);
    jobIds.push(job.id);
    await append(job.id, run(job.id));
    await settle(consumer());
    const once = await state(job.id);
    expect(once).toMatchObject({ status: "RUNNING", stage: "training", events: 3, points: 1, lastEventSeq: 2 });
    expect(once.ledger).toEqual([
      ["RESERVE", 3],
      ["CHARGE", 0.7],
    ]);

    await settle(consumer()); // a restarted control reads the stream from its start
    await append(job.id, run(job.id)); // and the trainer wrote everything a second time
    await settle(consumer());
    expect(await state(job.id)).toEqual(once);
  });

  it("ends a job that delivered fewer rows than asked SUCCEEDED with the shortfall and warnings on its row", async () => {
    const job = await seedJob(prisma, { epsilon: 3 });
    jobIds.push(job.id);
    const warnings = ["Only 12 of the 40 rows asked for were produced within 2 candidates per row."];
    const summary = {
      runId: "run-1",
      noiseMultiplier: 1.1,
      sampleRate: 0.2,
      steps: 1,
      epochs: 1,
      maxGradNorm: 1,
      accountant: "prv",
      epsilon: 0.7,
      delta: 1e-5,
      clipping: "hooks",
    } as const;
    const result = trainerEvent(job.id, 3, {
      type: "result",
      training: summary,
      metrics: { "sampling/parsed": 12 },
      artifacts: ["synthetic.csv"],
      rows: { requested: 40, produced: 12 },
      warnings,
    });
    await append(job.id, [...run(job.id), result]);
    await settle(consumer());
    const row = await prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row).toMatchObject({ status: "SUCCEEDED", rowsRequested: 40, rowsProduced: 12, warnings });
    expect((await state(job.id)).ledger.map(([kind]) => kind)).toEqual(["RESERVE", "CHARGE", "RELEASE"]);
  });

  it("skips an entry that breaks the contract and goes on with the next", async () => {
    const job = await seedJob(prisma);
    jobIds.push(job.id);
    await redis.xadd(
      jobRedisKeys(job.id).events,
      "*",
      REDIS_KEYS.eventField,
      JSON.stringify({ type: "metric", seq: 0 }),
    );
    await redis.xadd(jobRedisKeys(job.id).events, "*", REDIS_KEYS.eventField, "not json");
    await append(job.id, [trainerEvent(job.id, 1, { type: "stage", stage: "loading" })]);
    await settle(consumer());
    expect(await state(job.id)).toMatchObject({ status: "RUNNING", stage: "loading", events: 1 });
  });

  it("tells the trainer to stop when the ledger refused its charge and failed the job", async () => {
    const job = await seedJob(prisma, { epsilon: 1 });
    jobIds.push(job.id);
    const [stage, metric, privacy] = run(job.id) as [object, object, object];
    await append(job.id, [stage, metric, { ...privacy, epsilon: 1.4 }]); // more than the job reserved
    await settle(consumer());
    expect(await state(job.id)).toMatchObject({ status: "FAILED", epsilonSpent: 1 });
    expect(await redis.get(jobRedisKeys(job.id).cancel)).toBe("1");
  });

  it("drains what a job's stream holds on demand, so a settlement sees every charge first", async () => {
    const job = await seedJob(prisma);
    jobIds.push(job.id);
    await append(job.id, run(job.id));
    const c = consumer();
    await c.drain(job.id);
    expect(await state(job.id)).toMatchObject({ events: 3, epsilonSpent: 0.7 });
    await c.drain(job.id); // nothing new
    expect(await state(job.id)).toMatchObject({ events: 3 });
  });
});
