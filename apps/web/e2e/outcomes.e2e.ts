import type { TReport, TResultEvent } from "@dpsynth/contracts";
import { createPrismaClient, type PrismaClient } from "@dpsynth/db";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type E2EBrowser, launchBrowser } from "./support/browser.ts";
import { e2eEnv, seededOwner } from "./support/env.ts";
import { signIn } from "./support/session.ts";
import {
  emit,
  fixtureReport,
  jobNoTrainerTakes,
  jobReaching,
  markQueued,
  reportArtifact,
  seededCredentials,
} from "./support/trainer-events.ts";

/**
 * What an owner sees when a job could not deliver what was asked: fewer rows than requested ("Succeeded with
 * warnings", never plain success), or none at all (failed). The real trainer falls short only by chance, so these
 * jobs' trainer events are written to Redis the way the trainer writes them; everything after that is the real
 * stack: control persists them, PostgreSQL holds the outcome, the API answers it and the dashboard shows it.
 */

const { baseUrl, artifactsDir } = e2eEnv();
const ASKED = 60;
const MADE = 23;
const SHORTFALL_WARNING = `Only ${MADE} of the ${ASKED} rows asked for passed the re-scoring within 2 candidates per row.`;
const NO_ROWS = "No synthetic row passed the re-scoring within 120 candidates. Train longer or turn re-scoring off.";

let browser: E2EBrowser;
let prisma: PrismaClient;
let redis: Redis;

beforeAll(async () => {
  prisma = createPrismaClient({ url: process.env.DATABASE_URL ?? "" });
  redis = new Redis(process.env.REDIS_URL ?? "");
  browser = await launchBrowser(artifactsDir);
  await signIn(baseUrl, browser, seededOwner());
});
afterAll(async () => {
  await browser?.close();
  redis?.disconnect();
  await prisma?.$disconnect();
});
afterEach(async (context) => {
  if (context.task.result?.state === "fail") await browser.screenshot(`failed-outcomes-${context.task.name}`);
});

/** A job on the demo dataset that control follows and no trainer takes: its events are the ones this file writes. */
async function jobNoTrainerRuns(): Promise<string> {
  const jobId = await jobNoTrainerTakes(baseUrl, { epsilon: 5, syntheticRows: ASKED });
  await markQueued(prisma, jobId);
  return jobId;
}

const training: TResultEvent["training"] = {
  runId: "run-1",
  noiseMultiplier: 1.1,
  sampleRate: 0.1,
  steps: 4,
  epochs: 1,
  maxGradNorm: 1,
  accountant: "prv",
  epsilon: 1.2,
  delta: 1e-6,
  clipping: "hooks",
};

describe("outcomes that are not plain success", () => {
  it("shows a job that produced fewer rows than asked as succeeded with warnings, on its page and in the list", async () => {
    const jobId = await jobNoTrainerRuns();
    const fixture = fixtureReport(jobId);
    const report: TReport = {
      ...fixture,
      sampling: { ...fixture.sampling, requested: ASKED, parsed: MADE, shortfall: ASKED - MADE },
      summary: {
        verdict: "weak",
        headline: "The synthetic rows carry some signal, but fall short of the real rows.",
        points: ["Fewer rows than asked passed the re-scoring."],
      },
    };
    await emit(redis, jobId, [
      { type: "stage", stage: "loading" },
      { type: "stage", stage: "training" },
      { type: "metric", step: 1, epoch: 0.5, values: { "train/loss": 3.1, "privacy/epsilon": 0.8 } },
      { type: "privacy", mechanism: "dp-sgd", runId: "run-1", epsilon: 1.2, delta: 1e-6, steps: 4 },
      { type: "stage", stage: "sampling" },
      { type: "stage", stage: "evaluating" },
      await reportArtifact(jobId, report),
      {
        type: "result",
        training,
        metrics: { "sampling/parsed": MADE },
        artifacts: ["report.json"],
        rows: { requested: ASKED, produced: MADE },
        warnings: [SHORTFALL_WARNING],
      },
    ]);
    const job = await jobReaching(baseUrl, jobId, "SUCCEEDED");
    expect(job).toMatchObject({ status: "SUCCEEDED", outcome: "succeeded-with-warnings" });
    expect(job.rows).toEqual({ requested: ASKED, produced: MADE });

    const { page } = browser;
    await page.goto(`${baseUrl}/jobs/${jobId}`);
    const badge = page.locator("h1 [data-outcome]");
    await expect.poll(() => badge.getAttribute("data-outcome"), { timeout: 15_000 }).toBe("succeeded-with-warnings");
    expect(await badge.textContent()).toBe("Succeeded with warnings");
    const notices = page.getByTestId("job-notices");
    await notices.waitFor();
    expect(await notices.getByTestId("rows-made").textContent()).toMatch(
      /^Only 23 of the 60 rows asked for were produced\./,
    );
    const items = notices.getByRole("list", { name: "Warnings and notes" }).getByRole("listitem");
    // The notes come from report.json, once it has loaded.
    await expect
      .poll(() => items.allTextContents(), { timeout: 15_000 })
      .toEqual([SHORTFALL_WARNING, ...fixture.notes]);
    expect(await page.getByRole("region", { name: "Progress" }).textContent()).toContain("23 of 60 rows");
    // The report leads with its verdict, then synthetic beside real rows.
    const summary = page.locator("[data-verdict]");
    expect(await summary.getAttribute("data-verdict")).toBe("weak");
    expect(await summary.textContent()).toContain(report.summary.headline);
    await page.getByRole("table", { name: "Real versus synthetic utility" }).waitFor();
    expect(await page.getByRole("region", { name: /Utility/ }).textContent()).toMatch(
      /Trained on the synthetic rows, .* labels \d+% of the real held-out rows correctly/,
    );
    await browser.screenshot("30-job-succeeded-with-warnings");

    await page.goto(`${baseUrl}/datasets/${seededCredentials().demoDatasetId}`);
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator("[data-outcome]").textContent()).toBe("Succeeded with warnings");
    expect(await row.textContent()).toContain(`${MADE} of ${ASKED}`);
    await browser.screenshot("31-jobs-list-with-warnings");
  });

  it("shows a job that produced no usable row as failed, with the trainer's words", async () => {
    const jobId = await jobNoTrainerRuns();
    await emit(redis, jobId, [
      { type: "stage", stage: "training" },
      { type: "privacy", mechanism: "dp-sgd", runId: "run-1", epsilon: 1.2, delta: 1e-6, steps: 4 },
      { type: "stage", stage: "sampling" },
      { type: "error", code: "no_rows", message: NO_ROWS, retryable: false },
    ]);
    const job = await jobReaching(baseUrl, jobId, "FAILED");
    expect(job).toMatchObject({ status: "FAILED", outcome: "failed", errorCode: "no_rows", errorMessage: NO_ROWS });

    const { page } = browser;
    await page.goto(`${baseUrl}/jobs/${jobId}`);
    const alert = page.getByRole("alert").filter({ hasText: "The job failed (no_rows)" });
    await alert.waitFor({ timeout: 15_000 });
    expect(await alert.textContent()).toContain(NO_ROWS);
    expect(await page.locator("h1 [data-outcome]").textContent()).toBe("Failed");
    await browser.screenshot("32-job-no-rows");
  });
});
