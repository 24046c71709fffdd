import { TRAINER_HEARTBEAT, type TTrainerHeartbeat, trainerRedisKeys } from "@dpsynth/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as quoteRoute from "../../../app/api/v1/jobs/quote/route.ts";
import * as jobsRoute from "../../../app/api/v1/jobs/route.ts";
import * as trainersRoute from "../../../app/api/v1/trainers/route.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";

/**
 * `GET /trainers` and the quote's capacity verdict on the real Redis and PostgreSQL. The trainers are heartbeats
 * written exactly as services/trainer's `heartbeat.py` writes them (the same contract keys, TTL and index), which
 * is all the web sees of a trainer.
 */

let server: TTestServer;
let alice: Awaited<ReturnType<TTestServer["user"]>>;
let mallory: Awaited<ReturnType<TTestServer["user"]>>;
let admin: Awaited<ReturnType<TTestServer["user"]>>;

beforeAll(async () => {
  server = await createTestServer();
  alice = await server.user("OWNER", 3);
  mallory = await server.user("OWNER", 3);
  admin = await server.user("ADMIN", 10);
});
afterAll(() => server.close());

const keys = () => trainerRedisKeys(server.config.queuePrefix);

async function beat(id: string, overrides: Partial<TTrainerHeartbeat> = {}, { at = Date.now() } = {}) {
  const heartbeat: TTrainerHeartbeat = {
    schemaVersion: 1,
    id,
    device: { kind: "cpu", count: 2, name: "cpu", memoryBytes: 8 * 2 ** 30 },
    hubReachable: false,
    localModels: ["tiny-gpt2", "tiny-llama", "smollm2-135m"],
    devicesPerJob: 1,
    concurrency: 1,
    currentJobs: [],
    startedAt: new Date(at - 60_000).toISOString(),
    ts: new Date(at).toISOString(),
    ...overrides,
  };
  await server.ctx.redis
    .multi()
    .set(keys().trainer(id), JSON.stringify(heartbeat), "EX", TRAINER_HEARTBEAT.ttlS)
    .zadd(keys().index, at, id)
    .exec();
}

async function clear() {
  const ids = await server.ctx.redis.zrange(keys().index, 0, -1);
  if (ids.length) await server.ctx.redis.del(keys().index, ...ids.map(keys().trainer));
}

const trainers = async (who: { auth: Record<string, string> }) => {
  const answer = await call(trainersRoute.GET, { headers: who.auth });
  expect(answer.status).toBe(200);
  return answer.body;
};

describe("GET /trainers", () => {
  it("lists none while no trainer beats, and says every model would wait", async () => {
    await clear();
    const body = await trainers(alice);
    expect(body.trainers).toEqual([]);
    expect(body.models["smollm2-135m"]).toMatchObject({ verdict: "warn", reason: "no-trainer" });
  });

  it("shows each live trainer busy or idle, with the jobs the caller may see", async () => {
    await clear();
    const dataset = await server.dataset(alice.id);
    const job = await call(jobsRoute.POST, {
      method: "POST",
      headers: alice.auth,
      json: { datasetId: dataset.id, model: "tiny-gpt2", epsilon: 1, syntheticRows: 5 },
    });
    await beat("box-a:11");
    await beat("box-b:22", { currentJobs: [job.body.id] });

    const seen = await trainers(alice);
    expect(seen.trainers.map((t: { id: string; state: string }) => [t.id, t.state])).toEqual([
      ["box-a:11", "idle"],
      ["box-b:22", "busy"],
    ]);
    expect(seen.trainers[1]).toMatchObject({
      device: { kind: "cpu", count: 2 },
      hubReachable: false,
      runningJobs: 1,
      currentJobs: [job.body.id],
    });
    expect(Date.parse(seen.trainers[1].lastSeenAt)).toBeGreaterThan(Date.now() - 10_000);
    expect(seen.models).toMatchObject({
      "smollm2-135m": { verdict: "ok", trainers: 2 },
      "gpt2-medium": { verdict: "blocked", reason: "needs-gpu" },
      gpt2: { verdict: "blocked", reason: "needs-hub" },
    });

    // Another owner sees that the trainer is busy, not with whose job.
    const other = await trainers(mallory);
    expect(other.trainers[1]).toMatchObject({ state: "busy", runningJobs: 1, currentJobs: [] });
    expect(JSON.stringify(other)).not.toContain(job.body.id);
    expect((await trainers(admin)).trainers[1].currentJobs).toEqual([job.body.id]);
  });

  it("drops a trainer that stopped beating: one out of the index's window, one whose heartbeat expired", async () => {
    await clear();
    await beat("alive:1");
    await beat("silent:2", {}, { at: Date.now() - 2 * TRAINER_HEARTBEAT.ttlS * 1000 });
    await beat("expired:3");
    await server.ctx.redis.del(keys().trainer("expired:3"));
    expect((await trainers(alice)).trainers.map((t: { id: string }) => t.id)).toEqual(["alive:1"]);
  });

  it("ignores trainers of another queue", async () => {
    await clear();
    const elsewhere = trainerRedisKeys(`${server.config.queuePrefix}-other`);
    await server.ctx.redis.zadd(elsewhere.index, Date.now(), "x:1");
    await server.ctx.redis.set(elsewhere.trainer("x:1"), "{}", "EX", 15);
    expect((await trainers(alice)).trainers).toEqual([]);
    await server.ctx.redis.del(elsewhere.index, elsewhere.trainer("x:1"));
  });

  it("refuses anonymous callers", async () => {
    expect((await call(trainersRoute.GET, {})).status).toBe(401);
  });
});

describe("the quote's capacity verdict and estimate", () => {
  const quote = async (model: string) => {
    const dataset = await server.dataset(alice.id);
    const answer = await call(quoteRoute.POST, {
      method: "POST",
      headers: alice.auth,
      json: { datasetId: dataset.id, model, epsilon: 1, syntheticRows: 50 },
    });
    expect(answer.status).toBe(200);
    return answer.body;
  };

  it("says a GPU model cannot run on the CPU trainer online, and estimates the CPU model's minutes", async () => {
    await clear();
    await beat("cpu-box:1");
    const gpuQuote = await quote("gpt2-medium");
    expect(gpuQuote.outcome).toBe("runs-now"); // the budget allows it; the trainers do not
    expect(gpuQuote.capacity).toEqual({
      verdict: "blocked",
      reason: "needs-gpu",
      message: "gpt2-medium needs a GPU, and the one trainer online has none.",
      trainers: 0,
    });
    expect(gpuQuote.estimate).toBeNull(); // nobody measured it

    const cpuQuote = await quote("smollm2-135m");
    expect(cpuQuote.capacity).toMatchObject({ verdict: "ok", trainers: 1 });
    // 32 training rows × 2 epochs, 50 rows and 50 baseline rows, at the figures of bench/results/utility.md, scaled
    // from the measured table's rows (78 tokens, 40 sampled against 2 prompts) to these short ones.
    expect(cpuQuote.estimate).toMatchObject({ machine: "2 CPU cores", source: "bench/results/utility.md" });
    const { rowTokens, sampledTokens, streams } = cpuQuote.rowWork;
    expect(rowTokens).toBeLessThan(78);
    expect(cpuQuote.estimate.stages.training).toBeCloseTo(((2 * 32) / 6.8) * (rowTokens / 78), 1);
    expect(cpuQuote.estimate.stages.sampling).toBeCloseTo(
      (50 / 1.2 + 50 / 1.7) * ((sampledTokens * streams) / (40 * 2)),
      1,
    );
  });

  it("judges a job of several devices by the trainers of that many devices", async () => {
    await clear();
    await beat("cpu-box:1");
    const dataset = await server.dataset(alice.id);
    const onDevices = async (devices: number) =>
      (
        await call(quoteRoute.POST, {
          method: "POST",
          headers: alice.auth,
          json: {
            datasetId: dataset.id,
            model: "tiny-gpt2",
            epsilon: 1,
            syntheticRows: 50,
            hyperparameters: { training: { devices } },
          },
        })
      ).body.capacity;
    expect(await onDevices(2)).toMatchObject({ verdict: "warn", reason: "needs-devices", trainers: 0 });
    await beat("cpu-pair:2", { devicesPerJob: 2 });
    expect(await onDevices(2)).toMatchObject({ verdict: "ok", trainers: 1 });
    expect(await onDevices(1)).toMatchObject({ verdict: "ok", trainers: 1 });
    const listed = (await trainers(alice)).trainers.map((t: { id: string; devicesPerJob: number }) => [
      t.id,
      t.devicesPerJob,
    ]);
    expect(listed).toEqual([
      ["cpu-box:1", 1],
      ["cpu-pair:2", 2],
    ]);
  });

  it("says a model to download cannot run where no trainer reaches the hub, and warns when none is online", async () => {
    await clear();
    await beat("cpu-box:1");
    expect((await quote("gpt2")).capacity).toMatchObject({ verdict: "blocked", reason: "needs-hub" });
    await clear();
    expect((await quote("smollm2-135m")).capacity).toMatchObject({ verdict: "warn", reason: "no-trainer" });
  });
});
