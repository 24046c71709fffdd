import { queueFor } from "@dpsynth/contracts";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as jobRoute from "../../../app/api/v1/jobs/[id]/route.ts";
import * as jobsRoute from "../../../app/api/v1/jobs/route.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";

/**
 * Whether a job waits for a trainer, read off the real queue. The stand-in trainers are BullMQ workers that take
 * a job and hold it, which is all the queue sees of a trainer.
 */

let server: TTestServer;
let owner: Awaited<ReturnType<TTestServer["user"]>>;
const workers: Worker[] = [];

beforeAll(async () => {
  server = await createTestServer();
  owner = await server.user("OWNER", 3);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close(true)));
  await server.close();
});

/**
 * A trainer of `devices` devices that takes the next job of its queue and never finishes it; `stalledInterval`
 * long, so it never hands one back.
 */
function trainer(devices = 1): Worker {
  const worker = new Worker(queueFor(devices), () => new Promise(() => {}), {
    connection: new Redis(server.config.redisUrl, { maxRetriesPerRequest: null }),
    prefix: server.config.queuePrefix,
    lockDuration: 30_000,
    stalledInterval: 600_000,
  });
  workers.push(worker);
  return worker;
}

const waiting = async (id: string) =>
  (await call(jobRoute.GET, { headers: owner.auth, params: { id } })).body.waitingForTrainer;

async function until(probe: () => Promise<boolean>) {
  for (let i = 0; i < 100 && !(await probe()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe("waitingForTrainer", () => {
  it("is true while no trainer is connected, false once one holds the job, true again once its lock lapsed", async () => {
    const dataset = await server.dataset(owner.id);
    const created = await call(jobsRoute.POST, {
      method: "POST",
      headers: owner.auth,
      json: { datasetId: dataset.id, model: "tiny-gpt2", epsilon: 1, syntheticRows: 5 },
    });
    expect(created.body).toMatchObject({ status: "QUEUED", waitingForTrainer: true });

    const first = trainer();
    await until(async () => (await server.ctx.queues.for(1).getJobState(created.body.id)) === "active");
    expect(await waiting(created.body.id)).toBe(false);

    // The trainer dies (its connections drop, its lock stays until it expires); a new one connects.
    await first.close(true);
    await until(async () => (await server.ctx.queues.for(1).getWorkersCount()) === 0);
    expect(await waiting(created.body.id)).toBe(true);
    const second = trainer();
    await second.waitUntilReady();
    await until(async () => (await server.ctx.queues.for(1).getWorkersCount()) === 1);
    expect(await waiting(created.body.id)).toBe(false); // the dead trainer's lock has not lapsed yet
    await server.ctx.redis.del(`${server.ctx.queues.for(1).toKey(created.body.id)}:lock`);
    expect(await waiting(created.body.id)).toBe(true);
  });

  it("sees a trainer of BullMQ's Python port (the trainers), whose connections name the queue in plain text", async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.close(true)));
    const dataset = await server.dataset(owner.id);
    const created = await call(jobsRoute.POST, {
      method: "POST",
      headers: owner.auth,
      json: { datasetId: dataset.id, model: "tiny-gpt2", epsilon: 1, syntheticRows: 5 },
    });
    expect(created.body).toMatchObject({ status: "QUEUED", waitingForTrainer: true });
    // How bullmq for Python names a worker's connections: `<prefix>:<queue>:w:<worker name>`, the queue not in base64.
    const python = new Redis(server.config.redisUrl, {
      connectionName: `${server.config.queuePrefix}:${queueFor(1)}:w:trainer-host:4242`,
    });
    try {
      await until(async () => python.status === "ready");
      expect(await waiting(created.body.id)).toBe(false);
    } finally {
      python.disconnect();
    }
  });

  it("is true for a job of two devices while only trainers of one are connected", async () => {
    const dataset = await server.dataset(owner.id);
    const created = await call(jobsRoute.POST, {
      method: "POST",
      headers: owner.auth,
      json: {
        datasetId: dataset.id,
        model: "tiny-gpt2",
        epsilon: 1,
        syntheticRows: 5,
        hyperparameters: { training: { devices: 2 } },
      },
    });
    await trainer(1).waitUntilReady();
    await until(async () => (await server.ctx.queues.for(1).getWorkersCount()) > 0);
    expect(await waiting(created.body.id)).toBe(true);
    trainer(2);
    await until(async () => (await server.ctx.queues.for(2).getJobState(created.body.id)) === "active");
    expect(await waiting(created.body.id)).toBe(false);
  });

  it("is false for jobs that need no trainer: waiting for approval or finished", async () => {
    const dataset = await server.dataset(owner.id);
    const pending = await call(jobsRoute.POST, {
      method: "POST",
      headers: owner.auth,
      json: { datasetId: dataset.id, model: "tiny-gpt2", epsilon: 5, syntheticRows: 5 },
    });
    expect(pending.body).toMatchObject({ status: "PENDING_APPROVAL", waitingForTrainer: false });
  });
});
