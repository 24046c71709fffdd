import { PRESETS, QUEUE, queueFor, ZJobSpec } from "@dpsynth/contracts";
import { budgetOf } from "@dpsynth/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as cancelRoute from "../../../app/api/v1/jobs/[id]/cancel/route.ts";
import * as jobRoute from "../../../app/api/v1/jobs/[id]/route.ts";
import * as quoteRoute from "../../../app/api/v1/jobs/quote/route.ts";
import * as jobsRoute from "../../../app/api/v1/jobs/route.ts";
import { call, createTestServer, SMALL_LABELS, type TTestServer } from "../testing.ts";
import { LABEL_COUNTS_SHARE, LABEL_SET_SHARE } from "./build-spec.ts";

let server: TTestServer;
let owner: Awaited<ReturnType<TTestServer["user"]>>;

beforeAll(async () => {
  server = await createTestServer();
  owner = await server.user("OWNER", 3);
});
afterAll(() => server.close());

/** Tests run the smoke preset (a tiny random model), which the API accepts and the dashboard never offers. */
const request = (datasetId: string, epsilon: number, extra: Record<string, unknown> = {}) => ({
  datasetId,
  model: "tiny-gpt2",
  epsilon,
  syntheticRows: 50,
  preset: "smoke",
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
    const queued = await server.ctx.queues.for(1).getJob(body.id);
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

  it("on a dataset without declared labels, gives the DP label-set release its share and quotes it in the total", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 10, labels: null });
    const quote = await post(request(dataset.id, 2), quoteRoute.POST);
    expect(quote.status).toBe(200);
    expect(quote.body.requested.epsilon).toBe(2);
    expect(quote.body.split.labelSet.epsilon).toBeCloseTo(2 * LABEL_SET_SHARE);
    expect(quote.body.split.labelCounts).toBeNull();
    expect(quote.body.split.training.epsilon + quote.body.split.labelSet.epsilon).toBeCloseTo(2);
    const { status, body } = await post(request(dataset.id, 2));
    expect(status).toBe(201);
    const spec = ZJobSpec.parse((await server.ctx.queues.for(1).getJob(body.id))?.data);
    expect(spec.data).toMatchObject({ labelSource: "dp-histogram", labels: [] });
    // One release: its noisy counts are the label mix, so there is no separate label-count share.
    expect(spec.privacy.labelCounts).toBeNull();
    expect(spec.privacy.labelSet?.epsilon).toBeCloseTo(2 * LABEL_SET_SHARE);
    expect(spec.privacy.labelSet?.delta).toBeCloseTo(spec.privacy.delta * LABEL_SET_SHARE, 15);
    // The reservation is the whole request, the release's share included.
    expect(await budgetOf(server.ctx.prisma, dataset.id)).toMatchObject({ reserved: 2, remaining: 8 });
    // A declared dataset's job has no label-set share.
    const declared = await server.dataset(owner.id, { epsilonTotal: 10 });
    const made = await post(request(declared.id, 1));
    const declaredSpec = ZJobSpec.parse((await server.ctx.queues.for(1).getJob(made.body.id))?.data);
    expect(declaredSpec.privacy.labelSet).toBeNull();
    expect(declaredSpec.data.labelSource).toBe("declared");
  });

  it("refuses label descriptions or a custom mix on a dataset whose labels nobody declared", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 10, labels: null });
    const custom = await post(request(dataset.id, 1, { labelMix: { kind: "custom", weights: { pos: 1 } } }));
    expect(custom.status).toBe(400);
    expect(custom.body.error.message).toMatch(/found with differential privacy .* a custom labelMix cannot name any/);
    const described = await post(request(dataset.id, 1, { labelDescriptions: { pos: "praise" } }), quoteRoute.POST);
    expect(described.status).toBe(400);
    expect(described.body.error.message).toMatch(/labelDescriptions cannot name any/);
    expect(await server.ctx.prisma.job.count({ where: { datasetId: dataset.id } })).toBe(0);
  });

  it("says how many queued jobs are ahead of a queued one, and nothing for a job that is not queued", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 10 });
    const first = await post(request(dataset.id, 1));
    const second = await post(request(dataset.id, 1));
    expect(first.body.queuedAhead).toBeGreaterThanOrEqual(0);
    expect(second.body.queuedAhead).toBe(first.body.queuedAhead + 1);
    const read = await call(jobRoute.GET, { headers: owner.auth, params: { id: second.body.id } });
    expect(read.body.queuedAhead).toBe(second.body.queuedAhead);
    const held = await post(request(dataset.id, 3));
    expect(held.body).toMatchObject({ status: "PENDING_APPROVAL", queuedAhead: null });
  });

  it("holds a job above the allowance for approval, reserved but not queued", async () => {
    const dataset = await server.dataset(owner.id);
    const { status, body } = await post(request(dataset.id, 5));
    expect(status).toBe(201);
    expect(body.status).toBe("PENDING_APPROVAL");
    expect(await server.ctx.queues.for(1).getJob(body.id)).toBeUndefined();
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
    for (const model of ["../../etc", "/srv/models/../../etc", "//etc", "./models/x", "/srv/models/", "C:\\models"]) {
      const refused = await post(request(dataset.id, 1, { model }));
      expect([model, refused.status, refused.body.error.code]).toEqual([model, 400, "unknown_model"]);
    }
    const badOverride = await post(request(dataset.id, 1, { hyperparameters: { training: { epochs: -1 } } }));
    expect(badOverride.status).toBe(400);
    expect(badOverride.body.error.message).toMatch(/hyperparameters\.training\.epochs/);
    const unknownKey = await post(request(dataset.id, 1, { hyperparameters: { training: { epoch: 3 } } }));
    expect(unknownKey.status).toBe(400);
    expect(await server.ctx.prisma.job.count({ where: { datasetId: dataset.id } })).toBe(0);
  });

  it("judges a local model path by its shape alone: the web never looks at its own disk, the trainer checks roots", async () => {
    const dataset = await server.dataset(owner.id);
    const answers = await Promise.all(
      ["/etc", "/no/such/directory"].map((model) => post(request(dataset.id, 1, { model }), quoteRoute.POST)),
    );
    // The same answer whether the directory exists here or not, so the API tells nothing about this machine.
    expect(answers.map((answer) => [answer.status, answer.body.outcome])).toEqual([
      [200, "runs-now"],
      [200, "runs-now"],
    ]);
  });

  it("shows the spec's data and output locations as blob keys, never as server paths", async () => {
    const dataset = await server.dataset(owner.id);
    const { body } = await post(request(dataset.id, 1));
    expect(body.spec.data.trainUri).toBe(dataset.trainBlobKey);
    expect(body.spec.data.holdoutUri).toBe(dataset.holdoutBlobKey);
    expect(body.spec.outputUri).toBe(`jobs/${body.id}`);
    expect(JSON.stringify(body)).not.toContain(server.config.home);
    expect(JSON.stringify(body)).not.toContain("file:");
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
    const queued = await server.ctx.queues.for(1).getJobs(["waiting"]);
    const ids = new Set(accepted.map((job) => job.id));
    expect(queued.filter((job) => ids.has(job.id as string))).toHaveLength(3);
  }, 60_000);
});

describe("a job on several devices", () => {
  const onDevices = (datasetId: string, devices: number) =>
    request(datasetId, 1, { hyperparameters: { training: { devices } } });

  it("lands on its device count's queue, where only trainers of that many devices look, and waits behind its own", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 10 });
    const before = await post(request(dataset.id, 0.5)); // a one-device job already queued
    const { status, body } = await post(onDevices(dataset.id, 2));
    expect(status).toBe(201);
    expect(body.status).toBe("QUEUED");
    const queued = await server.ctx.queues.for(2).getJob(body.id);
    expect(queued?.name).toBe(QUEUE.jobName);
    expect(ZJobSpec.parse(queued?.data).training.devices).toBe(2);
    // BullMQ's own keys, under the prefix: the queue the chart's train-2gpu pool reads (scripts/lib/helm-chart.test.ts).
    expect(queueFor(2)).toBe("train-2gpu");
    const prefix = server.ctx.config.queuePrefix;
    expect(await server.ctx.redis.exists(`${prefix}:train-2gpu:${body.id}`)).toBe(1);
    expect(await server.ctx.redis.lrange(`${prefix}:train-2gpu:wait`, 0, -1)).toEqual([body.id]);
    expect(await server.ctx.queues.for(1).getJob(body.id)).toBeUndefined();
    // Behind no one: the one-device jobs queued before it are another queue's, which its trainers never read.
    expect(body.queuedAhead).toBe(0);
    const next = await post(onDevices(dataset.id, 2));
    expect(next.body.queuedAhead).toBe(1);
    const after = await post(request(dataset.id, 0.5));
    expect(after.body.queuedAhead).toBe(before.body.queuedAhead + 1);
  });

  it("is taken off its own queue when cancelled before it runs, with nothing charged", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 10 });
    const { body } = await post(onDevices(dataset.id, 4));
    expect(await server.ctx.queues.for(4).getJobState(body.id)).toBe("waiting");
    const cancelled = await call(cancelRoute.POST, { method: "POST", headers: owner.auth, params: { id: body.id } });
    expect(cancelled.body).toMatchObject({ status: "CANCELLED", epsilonSpent: 0 });
    expect(await server.ctx.queues.for(4).getJobState(body.id)).toBe("unknown");
    expect(await budgetOf(server.ctx.prisma, dataset.id)).toMatchObject({ reserved: 0, spent: 0 });
  });

  it("refuses more devices than a job may train on", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 10 });
    const { status, body } = await post(onDevices(dataset.id, 65));
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/training\.devices/);
  });
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
    expect(await server.ctx.queues.for(1).getJob(second.body.id)).toBeUndefined();
  });

  it("sizes an average row from the owner's column statistics, so long rows are said before they are cut", async () => {
    const short = await server.dataset(owner.id);
    const long = await server.dataset(owner.id, {
      csv: [
        "text,stars,label",
        ...Array.from({ length: 40 }, (_, i) => `${"word ".repeat(80)}${i},3,${["pos", "neg"][i % 2]}`),
      ].join("\n"),
      syntheticColumns: ["stars"],
    });
    const quote = async (datasetId: string) => (await post(request(datasetId, 1), quoteRoute.POST)).body;
    const [shortQuote, longQuote] = [await quote(short.id), await quote(long.id)];
    // 400-odd characters of text come to about 100 tokens: more than the smoke preset's 64 a row and 24 a value.
    expect(longQuote.rowWork.textTokens).toBeGreaterThan(100);
    expect(longQuote.rowWork.rowTokens).toBeGreaterThan(longQuote.rowWork.textTokens);
    expect(longQuote.rowWork.rowTokens).toBeGreaterThan(64);
    expect(shortQuote.rowWork.rowTokens).toBeLessThan(longQuote.rowWork.rowTokens);
    expect(shortQuote.rowWork.streams).toBe(2);
  });
});

/** A file with a third label, "mixed", that the owner does not declare; and a star column they synthesise. */
const threeLabels = [
  "text,stars,label",
  ...Array.from(
    { length: 45 },
    (_, i) => `review number ${i} says something,${(i % 5) + 1},${["pos", "neg", "mixed"][i % 3]}`,
  ),
].join("\n");

describe("the declared schema in the job spec", () => {
  it("carries exactly the declared labels, the subject and the synthesised columns, never the exact counts", async () => {
    const dataset = await server.dataset(owner.id, { csv: threeLabels, syntheticColumns: ["stars"] });
    const { status, body } = await post(request(dataset.id, 1));
    expect(status).toBe(201);
    const spec = ZJobSpec.parse(body.spec);
    expect(spec.data.labels).toEqual(SMALL_LABELS);
    expect(spec.data).toMatchObject({ subject: "product review", columns: ["stars"], labelColumn: "label" });
    // synthetic.csv lines up with the upload: text, stars, label.
    expect(spec.data.outputColumns).toEqual(["text", "stars", "label"]);
    // The rows trained on are those with a declared label: n for delta < 1/n and for the trainer's check.
    expect(spec.data.trainRows).toBe(dataset.trainRows - dataset.trainRowsOutsideLabels);
    expect(dataset.trainRowsOutsideLabels).toBeGreaterThan(0);
    // Nothing of the undeclared label, which only the rows know, reaches the spec.
    expect(JSON.stringify(spec)).not.toMatch(/mixed/);
    expect(spec.sampling.labelMix).toEqual({ kind: "dp-counts" });
  });

  it("takes this job's descriptions of declared labels, and refuses one for a label the dataset does not declare", async () => {
    const dataset = await server.dataset(owner.id, { csv: threeLabels });
    const edited = await post(request(dataset.id, 1, { labelDescriptions: { neg: "an angry one-star review" } }));
    expect(edited.status).toBe(201);
    expect(edited.body.spec.data.labels).toEqual([
      SMALL_LABELS[0],
      { value: "neg", description: "an angry one-star review" },
    ]);
    for (const handler of [quoteRoute.POST, jobsRoute.POST]) {
      const refused = await post(request(dataset.id, 1, { labelDescriptions: { mixed: "lukewarm" } }), handler);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toBe(
        'labelDescriptions names a label this dataset does not declare: "mixed". Its labels are "pos", "neg".',
      );
    }
    expect(await server.ctx.prisma.job.count({ where: { datasetId: dataset.id } })).toBe(1);
  });

  it("lets a custom label mix name declared labels only, with one rule for the quote and the request", async () => {
    const dataset = await server.dataset(owner.id, { csv: threeLabels });
    const mix = (weights: Record<string, number>) => ({ labelMix: { kind: "custom", weights } });
    for (const handler of [quoteRoute.POST, jobsRoute.POST]) {
      const refused = await post(request(dataset.id, 1, mix({ pos: 1, mixed: 1 })), handler);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toMatch(
        /^labelMix\.weights names a label this dataset does not declare: "mixed"/,
      );
    }
    expect(await server.ctx.prisma.job.count({ where: { datasetId: dataset.id } })).toBe(0);
    expect((await post(request(dataset.id, 1, mix({ pos: 3, neg: 1 })), quoteRoute.POST)).status).toBe(200);
    const made = await post(request(dataset.id, 1, mix({ pos: 3, neg: 1 })));
    expect(made.status).toBe(201);
    expect(made.body.spec.privacy.labelCounts).toBeNull(); // no DP counts released for a custom mix
  });

  it("takes a prompt style and instruction, and refuses a placeholder the trainer does not fill", async () => {
    const dataset = await server.dataset(owner.id);
    const instruction = "A {subject} whose {labelColumn} is {value}: {label}.";
    const { status, body } = await post(request(dataset.id, 1, { prompt: { style: "plain", instruction } }));
    expect(status).toBe(201);
    expect(body.spec.prompt).toEqual({ style: "plain", instruction });
    const refused = await post(request(dataset.id, 1, { prompt: { instruction: "Write a {subject} about {topic}." } }));
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/^prompt\.instruction uses \{topic\}, which the trainer does not fill/);
    const unknownStyle = await post(request(dataset.id, 1, { prompt: { style: "poem" } }), quoteRoute.POST);
    expect(unknownStyle.status).toBe(400);
    expect(unknownStyle.body.error.message).toMatch(/prompt\.style/);
  });

  it("refuses a dataset uploaded before label sets were declared, in the quote and the request", async () => {
    const dataset = await server.dataset(owner.id);
    await server.ctx.prisma.dataset.update({ where: { id: dataset.id }, data: { labels: [] } });
    for (const handler of [quoteRoute.POST, jobsRoute.POST]) {
      const refused = await post(request(dataset.id, 1), handler);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toMatch(/uploaded before label sets were declared.*upload the file again/);
    }
  });
});

describe("presets and hyper-parameters", () => {
  it("defaults to the CPU preset, SmolLM2 with LoRA on its last layers, and overrides one LoRA field alone", async () => {
    const dataset = await server.dataset(owner.id);
    const { model: _model, preset: _preset, ...rest } = request(dataset.id, 1);
    const plain = await post({ ...rest, model: "smollm2-135m" });
    expect(plain.status).toBe(201);
    expect(plain.body.spec.model).toMatchObject({ id: "smollm2-135m", finetune: "lora", lora: PRESETS.cpu.model.lora });
    expect(plain.body.spec.training).toMatchObject(PRESETS.cpu.training);
    const overridden = await post({
      ...rest,
      model: "smollm2-135m",
      hyperparameters: {
        model: { lora: { r: 16 } },
        training: { precision: "fp32" },
        sampling: { guidance: 0, rescoring: false, maxCandidatesPerRow: 2 },
      },
    });
    expect(overridden.status).toBe(201);
    expect(overridden.body.spec.model.lora).toMatchObject({ r: 16, lastLayers: PRESETS.cpu.model.lora.lastLayers });
    expect(overridden.body.spec.training.precision).toBe("fp32");
    expect(overridden.body.spec.sampling).toMatchObject({ guidance: 0, rescoring: false, maxCandidatesPerRow: 2 });
    const bad = await post({ ...rest, model: "smollm2-135m", hyperparameters: { model: { lora: { lastLayer: 2 } } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/hyperparameters\.model\.lora/);
  });

  it("offers presets for tests (the smoke preset) to the API only, under the contract's flag", () => {
    expect(
      Object.entries(PRESETS)
        .filter(([, preset]) => preset.forTests)
        .map(([name]) => name),
    ).toEqual(["smoke"]);
  });
});

describe("a job's outcome", () => {
  async function finished(data: { rowsRequested: number; rowsProduced: number; warnings: string[] }) {
    const dataset = await server.dataset(owner.id);
    const { body } = await post(request(dataset.id, 1));
    await server.ctx.prisma.job.update({
      where: { id: body.id },
      data: { status: "SUCCEEDED", stage: "done", finishedAt: new Date(), ...data },
    });
    const one = await call(jobRoute.GET, { headers: owner.auth, params: { id: body.id } });
    const list = await call(jobsRoute.GET, { headers: owner.auth, path: `/api/v1/jobs?datasetId=${dataset.id}` });
    return { one: one.body, listed: list.body.jobs.find((job: { id: string }) => job.id === body.id) };
  }

  it("says succeeded-with-warnings, with the rows and warnings, when fewer rows came than were asked", async () => {
    const warnings = ["Only 12 of the 50 rows asked for passed the re-scoring."];
    const { one, listed } = await finished({ rowsRequested: 50, rowsProduced: 12, warnings });
    for (const job of [one, listed]) {
      expect(job).toMatchObject({ status: "SUCCEEDED", outcome: "succeeded-with-warnings", warnings });
      expect(job.rows).toEqual({ requested: 50, produced: 12 });
    }
  });

  it("says plain succeeded only when every row came and nothing needs saying", async () => {
    const { one } = await finished({ rowsRequested: 50, rowsProduced: 50, warnings: [] });
    expect(one).toMatchObject({ status: "SUCCEEDED", outcome: "succeeded", rows: { requested: 50, produced: 50 } });
    const queued = await post(request((await server.dataset(owner.id)).id, 1));
    expect(queued.body).toMatchObject({ status: "QUEUED", outcome: "queued", rows: null, warnings: [] });
  });
});
