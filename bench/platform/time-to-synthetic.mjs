import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../scripts/lib/repo.mjs";
import { TRAINER_DIR, TRAINER_PYTHON } from "../../scripts/lib/uv.mjs";
import { apiClient, DEMO_UPLOAD_FIELDS } from "./api.mjs";
import { readSse } from "./sse.mjs";
import { ratio, sleep } from "./stats.mjs";

const FIXTURE_CSV = join(REPO_ROOT, "services/trainer/tests/fixtures/rotten_tomatoes_600.csv");
const CATALOG = join(REPO_ROOT, "packages/contracts/schema/catalog.json");
/** The yardstick: upload to report for 2,000 rows with the dashboard's CPU preset. */
const FULL_ROWS = 2000;
const AIM_S = 15 * 60;

/**
 * The table and preset of each size: the full size uploads 2,000 demo snippets (built by the trainer's
 * `demo-data`, as the seed builds the demo dataset) and runs the CPU preset as the dashboard offers it; the
 * smoke size proves the path with the tiny random model on the checked-in fixture.
 * @param {boolean} smoke
 */
function sizeOf(smoke) {
  if (smoke)
    return { preset: "smoke", csv: FIXTURE_CSV, csvName: "services/trainer/tests/fixtures/rotten_tomatoes_600.csv" };
  const csv = join(mkdtempSync(join(tmpdir(), "dpsynth-tts-")), `rotten_tomatoes_${FULL_ROWS}.csv`);
  execFileSync(TRAINER_PYTHON, ["-m", "dpsynth_trainer", "demo-data", "--out", csv, "--rows", String(FULL_ROWS)], {
    cwd: TRAINER_DIR,
    stdio: "inherit",
  });
  return { preset: "cpu", csv, csvName: `${FULL_ROWS} demo snippets (python -m dpsynth_trainer demo-data)` };
}
const STAGES = ["loading", "training", "sampling", "evaluating", "done"];
const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "REJECTED"]);

/**
 * time-to-synthetic: a preset from upload to report, by stage, through the real platform (see `sizeOf`): the
 * CSV uploaded with the seeded owner's API token, a job created, its events followed over SSE until it ends. Stage
 * boundaries are the trainer's own `stage` events; queue wait runs from the job's creation to the first of them.
 * @param {import("./stack.mjs").Stack} stack
 * @param {{ smoke: boolean }} options
 */
export async function timeToSynthetic(stack, { smoke }) {
  const { preset: PRESET, csv, csvName } = sizeOf(smoke);
  const preset = JSON.parse(readFileSync(CATALOG, "utf8")).presets[PRESET];
  const owner = apiClient(stack.baseUrl, stack.credentials.owner.apiToken);
  const syntheticRows = smoke ? 20 : preset.sampling.rows;
  // Smoke: one training step and the TF-IDF classifier only: the run proves the path, not the preset's cost. A
  // random tiny model reads no row as its label, so re-scoring (which would keep none) is off. The full size runs
  // the preset untouched.
  const hyperparameters = smoke
    ? { training: { epochs: 0.2 }, sampling: { rescoring: false }, evaluation: { classifiers: ["tfidf"] } }
    : {};

  const startedAt = Date.now();
  const uploaded = await owner.expect(
    owner.upload(csv, {
      name: `bench ${PRESET} ${new Date().toISOString()}`,
      ...DEMO_UPLOAD_FIELDS,
    }),
    201,
    "uploading the demo CSV",
  );
  console.log(`uploaded in ${(uploaded.ms / 1000).toFixed(2)}s: ${uploaded.body.trainRows ?? "?"} training rows`);
  // Every upload of the demo file shares one budget, and the owner's allowance counts everything they hold on it:
  // what this measures is the platform's speed, so the admin makes room for the job in both.
  const admin = apiClient(stack.baseUrl, stack.credentials.admin.apiToken);
  const me = (await owner.expect(owner.call("GET", "/api/v1/me"), 200, "reading the owner")).body;
  await admin.expect(
    admin.call("PUT", `/api/v1/datasets/${uploaded.body.id}/budget`, { epsilonTotal: 1000, delta: 1e-3 }),
    200,
    "raising the demo file's budget",
  );
  await admin.expect(
    admin.call("PUT", `/api/v1/users/${me.id}`, { epsilonAllowance: 100 }),
    200,
    "raising the owner's allowance",
  );
  const created = await owner.expect(
    owner.call("POST", "/api/v1/jobs", {
      datasetId: uploaded.body.id,
      model: preset.model.id,
      epsilon: preset.privacy.epsilon,
      syntheticRows,
      preset: PRESET,
      hyperparameters,
    }),
    201,
    `creating the ${PRESET} job`,
  );
  const job = created.body;
  // A trainer that was waiting may have taken it before the answer was written.
  if (!["QUEUED", "RUNNING"].includes(job.status)) throw new Error(`the ${PRESET} job is ${job.status}, not queued`);
  console.log(`job ${job.id} queued; following its events…`);

  /** @type {Record<string, number>} */
  const stageAt = {};
  // The SSE stream is read until the trainer's `done` (or the stream's end, for a job that fails); the report is
  // then ready once the API says SUCCEEDED (control has persisted the result and the artifacts).
  const following = new AbortController();
  const timeout = setTimeout(() => following.abort(), (smoke ? 4 : 60) * 60_000);
  await readSse(`${stack.baseUrl}/api/v1/jobs/${job.id}/events`, {
    token: owner.token,
    signal: following.signal,
    onMessage: (message) => {
      if (message.event !== "stage") return;
      const event = JSON.parse(message.data);
      if (!(event.stage in stageAt)) {
        const at = Date.parse(event.ts);
        stageAt[event.stage] = at;
        console.log(`  ${event.stage} at +${((at - startedAt) / 1000).toFixed(1)}s`);
      }
      if (event.stage === "done") following.abort();
    },
  });
  clearTimeout(timeout);
  let final = (await owner.expect(owner.call("GET", `/api/v1/jobs/${job.id}`), 200, "reading the job")).body;
  for (const until = Date.now() + 120_000; !FINAL.has(final.status) && Date.now() < until; ) {
    await sleep(100);
    final = (await owner.call("GET", `/api/v1/jobs/${job.id}`)).body;
  }
  const endSeenAt = Date.now();
  if (final.status !== "SUCCEEDED") throw new Error(`the ${PRESET} job ended ${final.status}: ${final.errorMessage}`);

  const total = (endSeenAt - startedAt) / 1000;
  const between = (/** @type {string} */ from, /** @type {string} */ to) =>
    stageAt[from] !== undefined && stageAt[to] !== undefined ? (stageAt[to] - stageAt[from]) / 1000 : null;
  const firstStage = stageAt.loading ?? null;
  const rows = [
    ["upload (POST /api/v1/datasets)", uploaded.ms / 1000],
    ["job request (POST /api/v1/jobs)", created.ms / 1000],
    [
      "queue wait (job created → trainer's first stage)",
      firstStage && (firstStage - Date.parse(final.createdAt)) / 1000,
    ],
    ...STAGES.slice(0, -1).map((stage, i) => [stage, between(stage, /** @type {string} */ (STAGES[i + 1]))]),
    ["report ready (trainer done → job SUCCEEDED in the API)", stageAt.done ? (endSeenAt - stageAt.done) / 1000 : null],
    ["total (upload start → job SUCCEEDED)", total],
  ].map(([stage, seconds]) => [stage, seconds, ratio(/** @type {number} */ (seconds), total)]);

  return {
    title: `Time to synthetic data, ${PRESET} preset (time-to-synthetic)`,
    summary:
      `The "${PRESET}" preset (${preset.model.id}, epsilon ${preset.privacy.epsilon}, ${syntheticRows} synthetic rows) ` +
      "from upload to report through the running platform: web API, BullMQ, the Python trainer, the control plane " +
      "and SSE. Each stage is shown with its share of the total from the same run.",
    parameters: {
      stack: stack.reused
        ? `running stack at ${stack.baseUrl}`
        : `own stack at ${stack.baseUrl} (started as npm test does)`,
      "uploaded CSV": csvName,
      "training rows": uploaded.body.trainRows ?? null,
      preset: PRESET,
      model: preset.model.id,
      "synthetic rows": syntheticRows,
      classifiers: smoke ? "tfidf" : "preset default",
      "training epochs": smoke ? 0.2 : preset.training.epochs,
    },
    tables: [{ title: "Wall time by stage", columns: ["stage", "seconds", "share of total"], rows }],
    notes: [
      ...(smoke
        ? []
        : [
            `Aim: upload to report within ${AIM_S / 60} minutes for ${FULL_ROWS} rows on 2 cores — reached ` +
              `${(total / 60).toFixed(1)} minutes, ${total <= AIM_S ? "met" : "NOT met"}.`,
          ]),
      "Sampling includes the prior-only baseline's rows (the untrained model, no privacy cost), which the report " +
        "shows beside the fine-tuned model's.",
      "Stage times are the differences between the trainer's own stage events (their timestamps); upload and job " +
        "request are client round trips; the machine is shared, so compare shares rather than seconds.",
    ],
    measurements: {
      jobId: job.id,
      createdAt: final.createdAt,
      startedAt: final.startedAt,
      finishedAt: final.finishedAt,
      stageAt,
      metrics: final.metrics,
    },
  };
}
