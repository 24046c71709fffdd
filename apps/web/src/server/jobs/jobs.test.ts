import { QUEUE, ZJobSpec } from "@dpsynth/contracts";
import { budgetOf } from "@dpsynth/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as quoteRoute from "../../../app/api/v1/jobs/quote/route.ts";
import * as jobsRoute from "../../../app/api/v1/jobs/route.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";
import { LABEL_COUNTS_SHARE } from "./build-spec.ts";

let server: TTestServer;
let owner: Awaited<ReturnType<TTestServer["user"]>>;

beforeAll(async () => {
  server = await createTestServer();
  owner = await server.user("OWNER", 3);
});
afterAll(() => server.close());

const request = (datasetId: string, epsilon: number, extra: Record<string, unknown> = {}) => ({
  datasetId,
  model: "tiny-gpt2",
  epsilon,
  syntheticRows: 50,
  ...extra,
});

function post(json: unknown, handler = jobsRoute.POST) {
  return call(handler, { method: "POST", headers: owner.auth, json });
}

describe("POST /api/v1/jobs", () => {
  it("queues a job within the allowance, with a full validated spec on the real queue and a reservation", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 10 });
    const { status, body } = await post(
      request(dataset.id, 2, { hyperparameters: { training: { epochs: 2 }, sampling: { temperature: 0.8 } } }),
    );
    expect(status).toBe(201);
    expect(body).toMatchObject({ status: "QUEUED", epsilon: 2, datasetId: dataset.id, cancelRequested: false });
    const queued = await server.ctx.queue.getJob(body.id);
    expect(queued?.name).toBe(QUEUE.jobName);
    // Under the configured prefix (DPSYNTH_QUEUE_PREFIX), where the trainers and the control plane look.
    expect(await server.ctx.redis.exists(`${server.ctx.config.queuePrefix}:${QUEUE.train}:${body.id}`)).toBe(1);
    expect(queued?.opts.attempts).toBeGreaterThan(1);
    const spec = ZJobSpec.parse(queued?.data);
    expect(spec).toMatchObject({ jobId: body.id, datasetId: dataset.id, model: { id: "tiny-gpt2", finetune: "full" } });
    // Preset values survive where not overridden; overrides win where given.
    expect(spec.training).toMatchObject({ epochs: 2, maxSeqLen: 64, logicalBatchSize: 64 });
    expect(spec.sampling).toMatchObject({ rows: 50, temperature: 0.8, labelMix: { kind: "dp-counts" } });
    expect(spec.privacy.epsilon).toBe(2);
    expect(spec.privacy.labelCounts?.epsilon).toBeCloseTo(2 * LABEL_COUNTS_SHARE);
    expect(spec.data.trainUri).toBe(server.ctx.blobs.uri(dataset.trainBlobKey));
    expect(spec.data.trainRows).toBe(dataset.trainRows);
    expect(await budgetOf(server.ctx.prisma, dataset.id)).toMatchObject({ reserved: 2, remaining: 8 });
  });

  it("holds a job above the allowance for approval, reserved but not queued", async () => {
    const dataset = await server.dataset(owner.id);
    const { status, body } = await post(request(dataset.id, 5));
    expect(status).toBe(201);
    expect(body.status).toBe("PENDING_APPROVAL");
    expect(await server.ctx.queue.getJob(body.id)).toBeUndefined();
    expect((await budgetOf(server.ctx.prisma, dataset.id)).reserved).toBe(5);
  });

  it("refuses a job over the remaining budget with the numbers, creating nothing", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 2 });
    const { status, body } = await post(request(dataset.id, 2.5));
    expect(status).toBe(409);
    expect(body.error.code).toBe("over_budget");
    expect(body.error.message).toMatch(/asks for epsilon 2.5.*has epsilon 2 .*left of 2/);
    expect(body.error.details).toMatchObject({ remaining: 2, requested: { epsilon: 2.5 } });
    expect(await server.ctx.prisma.job.count({ where: { datasetId: dataset.id } })).toBe(0);
  });

  it("refuses an unknown model and a bad override before reserving anything", async () => {
    const dataset = await server.dataset(owner.id);
    const unknown = await post(request(dataset.id, 1, { model: "not a model!" }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe("unknown_model");
    expect(unknown.body.error.message).toMatch(/catalog key .*tiny-gpt2/);
    const missingDir = await post(request(dataset.id, 1, { model: "/nonexistent/model/dir" }));
    expect(missingDir.body.error.code).toBe("unknown_model");
    const badOverride = await post(request(dataset.id, 1, { hyperparameters: { training: { epochs: -1 } } }));
    expect(badOverride.status).toBe(400);
    expect(badOverride.body.error.message).toMatch(/hyperparameters\.training\.epochs/);
    const unknownKey = await post(request(dataset.id, 1, { hyperparameters: { training: { epoch: 3 } } }));
    expect(unknownKey.status).toBe(400);
    expect(await server.ctx.prisma.job.count({ where: { datasetId: dataset.id } })).toBe(0);
  });

  it("accepts a Hugging Face id and a label mix without DP counts (no label-count share)", async () => {
    const dataset = await server.dataset(owner.id);
    const { status, body } = await post(
      request(dataset.id, 1, { model: "HuggingFaceTB/SmolLM2-135M", labelMix: { kind: "uniform" } }),
    );
    expect(status).toBe(201);
    expect(body.spec.privacy.labelCounts).toBeNull();
    expect(body.spec.model).toMatchObject({ id: "HuggingFaceTB/SmolLM2-135M", finetune: "lora" });
  });

  it("accepts exactly 5 of 50 concurrent requests at a dataset with budget for 5, queueing the allowance's 3", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 5, deltaTotal: 1 / 100 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(request(dataset.id, 1, { delta: 1e-6 }))));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(5);
    expect(statuses.filter((status) => status === 409)).toHaveLength(45);
    expect(await server.ctx.prisma.job.count({ where: { datasetId: dataset.id } })).toBe(5);
    const budget = await budgetOf(server.ctx.prisma, dataset.id);
    expect(budget.reserved).toBeCloseTo(5);
    expect(budget.remaining).toBeCloseTo(0);
    // The allowance (3) counts the owner's jobs together, so however the requests race, 3 run and 2 wait.
    const accepted = answers.filter((a) => a.status === 201).map((a) => a.body);
    expect(accepted.filter((job) => job.status === "QUEUED")).toHaveLength(3);
    expect(accepted.filter((job) => job.status === "PENDING_APPROVAL")).toHaveLength(2);
    const queued = await server.ctx.queue.getJobs(["waiting"]);
    const ids = new Set(accepted.map((job) => job.id));
    expect(queued.filter((job) => ids.has(job.id as string))).toHaveLength(3);
  }, 60_000);
});

describe("POST /api/v1/jobs/quote", () => {
  it("says runs-now, needs-approval or over-budget with the numbers, without side effects", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 6 });
    const quote = async (epsilon: number) => (await post(request(dataset.id, epsilon), quoteRoute.POST)).body;
    expect(await quote(2)).toMatchObject({ outcome: "runs-now", remaining: 6, allowance: 3 });
    expect(await quote(4)).toMatchObject({ outcome: "needs-approval", remaining: 6, allowance: 3 });
    const over = await quote(7);
    expect(over).toMatchObject({ outcome: "over-budget", remaining: 6 });
    expect(over.message).toMatch(/asks for epsilon 7, but the dataset has epsilon 6 left of 6/);
    expect(await server.ctx.prisma.job.count({ where: { datasetId: dataset.id } })).toBe(0);
    expect(await server.ctx.prisma.ledgerEntry.count({ where: { job: { datasetId: dataset.id } } })).toBe(0);
  });

  it("says what the request itself would say: the same spec checks, the same decision, the same words", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 6 });
    const unknownLabel = request(dataset.id, 1, { labelMix: { kind: "custom", weights: { "no such label": 1 } } });
    const [quoted, requested] = [await post(unknownLabel, quoteRoute.POST), await post(unknownLabel)];
    expect(quoted.status).toBe(400);
    expect(quoted.body).toEqual(requested.body);
    const overDelta = request(dataset.id, 1, { delta: 1e-4 }); // the dataset's delta budget is 1e-5
    const [quote, refusal] = [await post(overDelta, quoteRoute.POST), await post(overDelta)];
    expect(quote.body.outcome).toBe("over-budget");
    expect(quote.body.message).toMatch(/asks for delta 1.00e-4, but the dataset has delta 1.00e-5 left/);
    expect(refusal.body.error.message).toBe(quote.body.message);
  });

  it("counts what the owner already holds on the dataset: small jobs add up to an approval", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 10 });
    const first = await post(request(dataset.id, 2));
    expect(first.body.status).toBe("QUEUED");
    const quote = (await post(request(dataset.id, 2), quoteRoute.POST)).body;
    expect(quote).toMatchObject({ outcome: "needs-approval", held: 2, allowance: 3 });
    expect(quote.message).toMatch(
      /plus the 2 your jobs already hold on this dataset .* comes to 4, above your allowance/,
    );
    const second = await post(request(dataset.id, 2));
    expect(second.body).toMatchObject({ status: "PENDING_APPROVAL", decisionNote: quote.message });
    expect(await server.ctx.queue.getJob(second.body.id)).toBeUndefined();
  });
});
