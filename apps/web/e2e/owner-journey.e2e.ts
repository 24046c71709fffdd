import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { Redis } from "ioredis";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { accessibleDescription } from "./support/accessibility.ts";
import { type E2EBrowser, launchBrowser } from "./support/browser.ts";
import { e2eEnv, seededOwner } from "./support/env.ts";
import { ownerAndAdminBrowsers } from "./support/session.ts";
import { emit } from "./support/trainer-events.ts";
import { dropFile } from "./support/upload.ts";

/**
 * The product's main path, in the browser, on the real stack: an owner uploads the demo CSV by drag and drop and
 * declares its labels, asks for more epsilon than their allowance, an admin approves, the CPU trainer runs a tiny
 * GPT-2 (typed in as another model: the dashboard offers no test model) while the chart fills, the report appears
 * and synthetic.csv downloads. Then what the ledger enforces: the allowance counts what the owner already holds,
 * and a charge beyond a reservation is refused.
 */

const DEMO_CSV = fileURLToPath(
  new URL("../../../services/trainer/tests/fixtures/rotten_tomatoes_600.csv", import.meta.url),
);
const DATASET_NAME = "Rotten Tomatoes (e2e upload)";
const SUBJECT = "movie review snippet";
const FRESH = "a review that recommends the movie";
/** A tiny random model keeps the run inside the e2e suite's time; an owner types any model id the same way. */
const TEST_MODEL = "tiny-gpt2";
/** The seeded owner may run ε 3 without approval; this asks for more. */
const REQUESTED_EPSILON = 4;
const SYNTHETIC_ROWS = 60;
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };
/** Tiny GPT-2 training, sampling and evaluation on a shared 2-core CPU; `npm test` gives the e2e suite 8 minutes. */
const JOB_TIMEOUT_MS = 6 * 60_000;

const { baseUrl, artifactsDir } = e2eEnv();
const browsers = ownerAndAdminBrowsers();
/** Filled in as the journey goes; later steps need what earlier ones created. */
const journey: { datasetId?: string; jobId?: string } = {};

/** A full-page screenshot from the top of the page, so sticky headers and sidebars sit where a reader expects. */
async function shot(browser: E2EBrowser, name: string) {
  await browser.page.evaluate(() => window.scrollTo(0, 0));
  await browser.screenshot(name);
}

/** Writes a privacy event to a job's Redis stream the way a trainer does. */
async function reportAsTrainer(
  jobId: string,
  privacy: { mechanism: "dp-sgd"; runId: string; epsilon: number; delta: number; steps: number },
) {
  const redis = new Redis(process.env.REDIS_URL ?? "");
  try {
    await emit(redis, jobId, [{ type: "privacy", ...privacy }]);
  } finally {
    redis.disconnect();
  }
}

function jobStatus(page: Page): Promise<string | null> {
  return page.locator("h1 [data-status]").getAttribute("data-status");
}

async function chartPoints(page: Page): Promise<number> {
  return Number((await page.getByTestId("loss-epsilon-chart").getAttribute("data-points")) ?? 0);
}

async function atPhoneWidth(browser: E2EBrowser, path: string, name: string, ready: (page: Page) => Promise<unknown>) {
  const { page } = browser;
  await page.setViewportSize(PHONE);
  try {
    await page.goto(`${baseUrl}${path}`);
    await ready(page);
    await shot(browser, name);
    // Nothing may stick out sideways at phone width (tables scroll inside their own box).
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  } finally {
    await page.setViewportSize(LAPTOP);
  }
}

describe("owner journey: upload, request, approval, live training, report", () => {
  it("shows the owner's home page", async () => {
    const { page } = browsers.owner;
    await page.goto(`${baseUrl}/`);
    await page.getByRole("heading", { name: "Datasets" }).waitFor();
    await page.getByRole("link", { name: "Upload data" }).first().waitFor();
    // Each dataset's ε is its own budget: the overview shows the tightest one, never a sum across datasets.
    await page.getByText("Least ε left").waitFor();
    expect(await page.getByText("ε spent, all datasets").count()).toBe(0);
    // A keyboard user's first Tab offers to skip the navigation; the tab shows the app's icon.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("content");
    expect(await page.locator('head link[rel="icon"]').getAttribute("href")).toMatch(/icon/);
    await shot(browsers.owner, "01-owner-home");
  });

  it("refuses a wrong password with a message and no session", async () => {
    const stranger = await launchBrowser(artifactsDir);
    try {
      const { page } = stranger;
      await page.goto(`${baseUrl}/login`);
      await page.getByLabel("Email", { exact: true }).fill(seededOwner().email);
      await page.getByLabel("Password", { exact: true }).fill("not-the-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      // Next's route announcer is an (empty) alert too, hence the filter.
      await page.getByRole("alert").filter({ hasText: "That email and password do not match an account." }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/login");
      await stranger.screenshot("00-login-refused");
    } finally {
      await stranger.close();
    }
  });

  it("shows the API's refusal of a malformed CSV and stores nothing", async () => {
    const { page } = browsers.owner;
    await page.goto(`${baseUrl}/datasets/new`);
    const ragged = ["review,label", "fine,fresh", "also fine,rotten", "one cell too many,fresh,extra"].join("\n");
    await dropFile(page, "dropzone", { name: "ragged.csv", text: ragged });
    const alert = page.getByRole("alert").filter({ hasText: "The file was refused" });
    await alert.waitFor({ timeout: 30_000 });
    // The API's own words say where the file is wrong.
    expect(await alert.textContent()).toMatch(/Line 4 has 3 fields/);
    expect(await page.getByRole("table", { name: "Detected columns" }).count()).toBe(0);
    await shot(browsers.owner, "02-upload-refused");
  });

  it("uploads the demo CSV by drag and drop, with a preview of columns, labels and holdout", async () => {
    const { page } = browsers.owner;
    await page.goto(`${baseUrl}/datasets/new`);
    await shot(browsers.owner, "02-upload-empty");
    await dropFile(page, "dropzone", { name: "rotten_tomatoes_600.csv", text: readFileSync(DEMO_CSV, "utf8") });

    const columns = page.getByRole("table", { name: "Detected columns" });
    await columns.waitFor({ timeout: 30_000 });
    expect(await columns.getByRole("row").count()).toBe(3); // header + review + label
    expect(await page.getByLabel("Text column").inputValue()).toBe("review");
    expect(await page.getByLabel("Label column").inputValue()).toBe("label");
    const counts = page.getByRole("list", { name: "Label counts" });
    expect(await counts.getByRole("listitem").count()).toBe(2);
    expect(await counts.textContent()).toMatch(/fresh/);
    expect(await accessibleDescription(page.getByLabel("Holdout (%)"))).toMatch(/About 120 rows are held out/);
    expect(await page.getByRole("table", { name: "First rows" }).getByRole("row").count()).toBeGreaterThan(1);
    await shot(browsers.owner, "03-upload-preview");

    // The labels step: the detected labels, kept, each with a description that defaults to the value.
    const labels = page.getByRole("table", { name: "Declared labels" });
    expect(await labels.locator("tbody tr").evaluateAll((rows) => rows.map((row) => row.dataset.label))).toEqual([
      "fresh",
      "rotten",
    ]);
    expect(await page.locator("#labels-public").textContent()).toMatch(/become the public schema/);
    const freshDescription = page.getByLabel("Description of fresh");
    expect(await freshDescription.getAttribute("placeholder")).toBe("fresh");
    // Removing one of two labels leaves too few: the set says so, tied to the list, and upload waits.
    await page.getByLabel("Keep rotten").uncheck();
    const setError = page.locator("#labels-error");
    expect(await setError.textContent()).toMatch(/Keep at least two labels/);
    expect(await page.getByRole("group", { name: /Labels found in/ }).getAttribute("aria-describedby")).toContain(
      "labels-error",
    );
    expect(await page.getByTestId("rows-outside").textContent()).toMatch(/300 rows carry a label you did not keep/);
    expect(await page.getByRole("button", { name: "Upload dataset" }).isDisabled()).toBe(true);
    await shot(browsers.owner, "03b-upload-labels-too-few");
    await page.getByLabel("Keep rotten").check();
    expect(await setError.count()).toBe(0);
    await freshDescription.fill(FRESH);
    await page.getByLabel("Subject: what one row is").fill(SUBJECT);
    expect(await page.getByRole("region", { name: "5. Columns to synthesise" }).textContent()).toMatch(
      /The file has no other columns/,
    );
    await shot(browsers.owner, "03c-upload-labels");

    // 480 training rows are few for DP: said, not blocked. A holdout of 0% is: evaluation needs held-out rows.
    expect(await page.getByTestId("few-rows").textContent()).toMatch(/Only 480 rows would train the model/);
    const holdout = page.getByLabel("Holdout (%)");
    await holdout.fill("0");
    // The error is the field's own: a screen reader hears it with the field, after its hint.
    expect(await accessibleDescription(holdout)).toMatch(/held out .* Hold out between 5% and 50% of the rows/);
    expect(await holdout.getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByRole("button", { name: "Upload dataset" }).isDisabled()).toBe(true);
    await holdout.fill("20");
    expect(await page.getByRole("button", { name: "Upload dataset" }).isDisabled()).toBe(false);

    await page.getByLabel("Dataset name").fill(DATASET_NAME);
    await page.getByRole("button", { name: "Upload dataset" }).click();
    await page.waitForURL((url) => /^\/datasets\/(?!new$)[^/]+$/.test(url.pathname), { timeout: 60_000 });
    journey.datasetId = new URL(page.url()).pathname.split("/").pop();
    await page.getByRole("heading", { name: DATASET_NAME }).waitFor();
    await page.getByRole("heading", { name: "Privacy budget" }).waitFor();
    const schema = page.getByRole("region", { name: "Public schema" });
    expect(await schema.textContent()).toContain(SUBJECT);
    expect(await schema.getByRole("row", { name: /fresh/ }).textContent()).toContain(FRESH);
    expect(await schema.getByRole("row", { name: /rotten/ }).textContent()).toContain("rotten");
    await shot(browsers.owner, "04-dataset-new");
  });

  it("tells the owner before submitting that ε above the allowance needs approval, then files the request", async () => {
    const { page } = browsers.owner;
    expect(journey.datasetId).toBeDefined();
    await page.goto(`${baseUrl}/jobs/new?datasetId=${journey.datasetId}`);
    const cpuPreset = page.getByRole("radio", { name: /CPU \(SmolLM2 135M\)/ });
    await cpuPreset.waitFor();
    expect(await cpuPreset.isChecked()).toBe(true);
    expect(await page.getByRole("radio", { name: /smollm2-135m/ }).isChecked()).toBe(true);
    // Tiny random models and the smoke preset are for tests: never offered.
    expect(await page.getByRole("radio", { name: /tiny-gpt2|tiny-llama|Smoke/ }).count()).toBe(0);
    // The GPU reference preset on 480 training rows: its batch and row count are said to be out of scale.
    await page.getByText("Reference (Llama-2 7B, GPU)", { exact: true }).click();
    const warnings = page.getByTestId("request-warnings");
    await warnings.waitFor();
    expect(await warnings.textContent()).toMatch(/larger than the dataset's 480 training rows/);
    expect(await warnings.textContent()).toMatch(/more than 10 times the 480 training rows/);
    await page.getByText("CPU (SmolLM2 135M)", { exact: true }).click();
    await warnings.waitFor({ state: "detached" });
    expect(await cpuPreset.isChecked()).toBe(true);

    // The prompt each label's rows are conditioned on, in the owner's words; a per-job description changes it.
    const freshPrompt = page.locator('pre.prompt-example[data-label="fresh"]');
    expect(await freshPrompt.textContent()).toBe(`Write one ${SUBJECT} (label: ${FRESH}).`);
    await page.getByLabel("Description of rotten").fill("a review that pans the movie");
    expect(await page.locator('pre.prompt-example[data-label="rotten"]').textContent()).toBe(
      `Write one ${SUBJECT} (label: a review that pans the movie).`,
    );
    await page.getByLabel("Instruction template").fill("A {subject} about {film}.");
    expect(await accessibleDescription(page.getByLabel("Instruction template"))).toMatch(
      /\{film\} is not a placeholder/,
    );
    await page.getByLabel("Instruction template").fill("");

    await page.getByText("Other model", { exact: true }).click();
    await page.getByLabel("Hugging Face model id").fill(TEST_MODEL);
    // An impossible ε: the panel says what to fix instead of showing the last quote, and the button says why
    // it is disabled.
    await page.getByLabel("Epsilon (ε)").fill("0");
    const blocked = page.getByTestId("quote-blocked");
    await blocked.waitFor();
    expect(await blocked.textContent()).toContain("Enter an epsilon above 0.");
    expect(await page.getByTestId("quote").count()).toBe(0);
    const start = page.getByRole("button", { name: "Start job" });
    expect(await start.isDisabled()).toBe(true);
    expect(await start.getAttribute("aria-describedby")).toBe("job-submit-reason");
    expect(await page.locator("#job-submit-reason").textContent()).toMatch(/Fix what the panel above lists/);
    // Within the allowance first: the form says it runs now.
    await page.getByLabel("Epsilon (ε)").fill("3");
    const quote = page.getByTestId("quote");
    await expect.poll(() => quote.getAttribute("data-outcome"), { timeout: 15_000 }).toBe("runs-now");

    await page.getByLabel("Epsilon (ε)").fill(String(REQUESTED_EPSILON));
    await page.getByLabel("Rows to generate").fill(String(SYNTHETIC_ROWS));
    // The CPU preset is sized for SmolLM2 on 2,000 rows; a few short steps show the path in the suite's time. The
    // tiny model's tokenizer spends about a token per character, so the prompt alone takes some 50 of them.
    await page.getByText("Hyper-parameters").click();
    const shorter = { Epochs: "1", "Logical batch size": "64", "Max sequence length (tokens)": "96" };
    for (const [field, value] of Object.entries(shorter)) await page.getByLabel(field, { exact: true }).fill(value);
    // A random model reads no row as its label: re-scoring would keep none of them.
    await page.getByLabel("Re-score candidates").uncheck();
    await expect.poll(() => quote.getAttribute("data-outcome"), { timeout: 15_000 }).toBe("needs-approval");
    expect(await quote.textContent()).toMatch(/allowance/);
    await shot(browsers.owner, "05-new-job-needs-approval");

    await page.getByRole("button", { name: "Request approval" }).click();
    await page.waitForURL((url) => /^\/jobs\/(?!new$)[^/]+$/.test(url.pathname), { timeout: 30_000 });
    journey.jobId = new URL(page.url()).pathname.split("/").pop();
    await expect.poll(() => jobStatus(page), { timeout: 15_000 }).toBe("PENDING_APPROVAL");
    const request = await page.getByRole("region", { name: "Request" }).textContent();
    expect(request).toContain("rotten: a review that pans the movie");
    expect(request).toContain(`fresh: ${FRESH}`);
    await page.getByText("Waiting for an administrator").waitFor();
    await shot(browsers.owner, "06-job-pending-approval");
  });

  it("lets the admin see the request with its budget and hyper-parameters, and approve it", async () => {
    const { page } = browsers.admin;
    await page.goto(`${baseUrl}/admin/approvals`);
    const request = page.locator(`article[data-job-id="${journey.jobId}"]`);
    await request.waitFor({ timeout: 15_000 });
    expect(await request.textContent()).toContain("tiny-gpt2");
    expect(await request.textContent()).toContain(DATASET_NAME);
    await shot(browsers.admin, "07-admin-approvals");
    await request.getByRole("button", { name: "Approve" }).click();
    await request.waitFor({ state: "detached", timeout: 15_000 });
  });

  it(
    "runs on the CPU trainer while the loss-versus-ε chart fills in, then shows the report",
    async () => {
      const { page } = browsers.owner;
      await page.goto(`${baseUrl}/jobs/${journey.jobId}`);
      let pointsWhileRunning = 0;
      let clockTicked: boolean | null = null;
      let status: string | null = null;
      const deadline = Date.now() + JOB_TIMEOUT_MS;
      while (Date.now() < deadline) {
        status = await jobStatus(page);
        if (status === "RUNNING" && clockTicked === null) {
          // The elapsed clock moves on its own between the trainer's events.
          const before = await page.getByTestId("elapsed").textContent();
          await page.waitForTimeout(2_100);
          clockTicked = (await page.getByTestId("elapsed").textContent()) !== before;
        }
        if (status === "RUNNING") {
          const points = await chartPoints(page);
          if (points > 0 && pointsWhileRunning === 0) await shot(browsers.owner, "08-job-running-live-chart");
          pointsWhileRunning = Math.max(pointsWhileRunning, points);
        }
        if (status === "SUCCEEDED" || status === "FAILED" || status === "CANCELLED") break;
        await page.waitForTimeout(400);
      }
      if (status !== "SUCCEEDED") {
        const alert = await page.getByRole("alert").allTextContents();
        throw new Error(`the job ended ${status}: ${alert.join(" | ")}`);
      }
      expect(pointsWhileRunning).toBeGreaterThan(0);
      expect(clockTicked).toBe(true);
      // The finished job's chart replays the whole curve from the stored history.
      await expect.poll(() => chartPoints(page), { timeout: 15_000 }).toBeGreaterThanOrEqual(pointsWhileRunning);
      // Straight segments between the measured points (a smoothed path would hold cubic "C" commands), the label
      // release named before training, and loss ticks at one round step.
      const chart = page.getByTestId("loss-epsilon-chart");
      expect(await chart.locator("path.recharts-line-curve").first().getAttribute("d")).not.toMatch(/C/);
      expect(await page.getByTestId("chart-caption").textContent()).toMatch(/spent on the labels before training/);
      const lossTicks = (
        await chart.locator(".recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value").allTextContents()
      ).map(Number);
      expect(lossTicks.length).toBeGreaterThan(1);
      const gaps = lossTicks.slice(1).map((tick, k) => (tick - (lossTicks[k] ?? 0)).toFixed(6));
      expect(new Set(gaps).size).toBe(1);

      await page.getByRole("heading", { name: "Report" }).waitFor({ timeout: 30_000 });
      const utility = page.getByRole("table", { name: "Real versus synthetic utility" });
      await utility.waitFor({ timeout: 30_000 });
      expect(await utility.getByRole("row").count()).toBeGreaterThan(1);
      await page.getByRole("heading", { name: "Privacy diagnostics" }).waitFor();
      await page.getByRole("heading", { name: "Privacy statement" }).waitFor();
      await shot(browsers.owner, "09-job-succeeded-report");
    },
    JOB_TIMEOUT_MS + 60_000,
  );

  it("downloads synthetic.csv with the dataset's columns and every parsed row", async () => {
    const { page, context } = browsers.owner;
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download synthetic.csv" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/synthetic\.csv$/);
    const path = await download.path();
    const rows = parse(readFileSync(path, "utf8")) as string[][];
    expect(rows[0]).toEqual(["review", "label"]);

    const report = await context.request.get(`${baseUrl}/api/v1/jobs/${journey.jobId}/artifacts/report.json`);
    expect(report.status()).toBe(200);
    const { sampling } = (await report.json()) as { sampling: { requested: number; parsed: number } };
    expect(sampling.requested).toBe(SYNTHETIC_ROWS);
    expect(rows.length - 1).toBe(sampling.parsed);
    expect(sampling.parsed).toBeGreaterThan(0);
    for (const row of rows.slice(1)) expect(["fresh", "rotten"]).toContain(row[1]);
  });

  it("shows the dataset's ledger and the compare page for the finished job", async () => {
    const { page } = browsers.owner;
    await page.goto(`${baseUrl}/datasets/${journey.datasetId}`);
    const ledger = page.getByRole("table", { name: "Privacy ledger" });
    await ledger.waitFor();
    // One row per job, its charges summed; it opens to the charges, one per checkpoint.
    const jobRows = ledger.locator("tbody[data-ledger-job]");
    expect(await jobRows.count()).toBe(1);
    expect(await jobRows.first().getAttribute("data-ledger-job")).toBe(journey.jobId);
    await page.getByRole("button", { name: /^Show the \d+ charges? of job / }).click();
    const charges = page.getByRole("table", { name: `Charges of job ${journey.jobId?.slice(-8)}` });
    expect(await charges.locator("tbody tr").count()).toBeGreaterThan(0);
    await shot(browsers.owner, "10-dataset-ledger");

    await page.goto(`${baseUrl}/compare?datasetId=${journey.datasetId}&jobs=${journey.jobId}`);
    await page.getByRole("table", { name: "Report metrics by job" }).waitFor({ timeout: 30_000 });
    expect(await chartPoints(page)).toBeGreaterThan(0);
    await shot(browsers.owner, "11-compare");
  });

  it("shows the owner an admin's rejection with its reason, and releases the reservation", async () => {
    const { page } = browsers.owner;
    await page.goto(`${baseUrl}/jobs/new?datasetId=${journey.datasetId}`);
    await page.getByLabel("Epsilon (ε)").fill("5");
    const quote = page.getByTestId("quote");
    await expect.poll(() => quote.getAttribute("data-outcome"), { timeout: 15_000 }).toBe("needs-approval");
    await page.getByRole("button", { name: "Request approval" }).click();
    await page.waitForURL(
      (url) => /^\/jobs\/(?!new$)[^/]+$/.test(url.pathname) && !url.pathname.endsWith(journey.jobId ?? ""),
      {
        timeout: 30_000,
      },
    );
    const rejectedJobId = new URL(page.url()).pathname.split("/").pop();

    const reason = "Try epsilon 3 first: this dataset's budget has to last the quarter.";
    await browsers.admin.page.goto(`${baseUrl}/admin/approvals`);
    const request = browsers.admin.page.locator(`article[data-job-id="${rejectedJobId}"]`);
    await request.getByRole("button", { name: "Reject" }).click();
    const dialog = browsers.admin.page.getByRole("dialog", { name: "Reject this request" });
    await dialog.getByLabel("Reason").fill(reason);
    await shot(browsers.admin, "12-admin-reject-dialog");
    await dialog.getByRole("button", { name: "Reject request" }).click();
    await request.waitFor({ state: "detached", timeout: 15_000 });

    await expect.poll(() => jobStatus(page), { timeout: 15_000 }).toBe("REJECTED");
    await page.getByRole("alert").filter({ hasText: reason }).waitFor();
    await shot(browsers.owner, "13-job-rejected");
    await page.goto(`${baseUrl}/datasets/${journey.datasetId}`);
    const reserved = page.locator(".stat", { hasText: "Reserved" });
    await reserved.waitFor();
    expect(await reserved.locator(".stat-value").textContent()).toBe("0");
  });

  it("counts the ε the owner already holds on the dataset: a small request now needs approval; approved, it is cancelled", async () => {
    const { page } = browsers.owner;
    await page.goto(`${baseUrl}/jobs/new?datasetId=${journey.datasetId}`);
    await page.getByLabel("Epsilon (ε)").fill("1");
    await page.getByText("Other model", { exact: true }).click();
    await page.getByLabel("Hugging Face model id").fill(TEST_MODEL);
    await page.getByText("Hyper-parameters").click();
    await page.getByLabel("Max sequence length (tokens)").fill("112");
    await shot(browsers.owner, "14-new-job-overrides");
    // ε 1 is within the allowance of 3, but the approved job already spent up to 4 of it on this dataset.
    const quote = page.getByTestId("quote");
    await expect.poll(() => quote.getAttribute("data-outcome"), { timeout: 15_000 }).toBe("needs-approval");
    expect(await quote.textContent()).toMatch(/plus the [\d.]+ your jobs already hold on this dataset/);
    await page.getByRole("button", { name: "Request approval" }).click();
    await page.waitForURL(
      (url) => /^\/jobs\/(?!new$)[^/]+$/.test(url.pathname) && !url.pathname.endsWith(journey.jobId ?? ""),
      {
        timeout: 30_000,
      },
    );
    const jobId = new URL(page.url()).pathname.split("/").pop();
    await page.getByText("already hold on this dataset").waitFor();

    // The admin sees why it waits.
    await browsers.admin.page.goto(`${baseUrl}/admin/approvals`);
    const request = browsers.admin.page.locator(`article[data-job-id="${jobId}"]`);
    expect(await request.getByTestId("approval-reason").textContent()).toMatch(/already hold on this dataset/);
    await shot(browsers.admin, "14b-admin-approval-cumulative");
    await request.getByRole("button", { name: "Approve" }).click();
    await request.waitFor({ state: "detached", timeout: 15_000 });

    await expect.poll(() => jobStatus(page), { timeout: 15_000 }).toMatch(/^(QUEUED|RUNNING)$/);
    expect(await page.getByRole("region", { name: "Request" }).textContent()).toContain("112 tokens");
    await page.getByRole("button", { name: "Cancel job" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel this job?" });
    await dialog.getByRole("button", { name: "Yes, cancel it" }).click();
    await expect.poll(() => jobStatus(page), { timeout: 120_000, interval: 1_000 }).toBe("CANCELLED");
    await page.getByText("Epsilon spent before the cancel").waitFor();
    await shot(browsers.owner, "15-job-cancelled");
  }, 180_000);

  it("fails a job whose trainer reports more ε than it reserved, and shows admins the refused charge", async () => {
    const { page } = browsers.owner;
    await page.goto(`${baseUrl}/jobs/new?datasetId=${journey.datasetId}`);
    await page.getByLabel("Epsilon (ε)").fill("0.5");
    await expect
      .poll(() => page.getByTestId("quote").getAttribute("data-outcome"), { timeout: 15_000 })
      .toBe("needs-approval");
    await page.getByRole("button", { name: "Request approval" }).click();
    await page.waitForURL((url) => /^\/jobs\/(?!new$)[^/]+$/.test(url.pathname), { timeout: 30_000 });
    const jobId = new URL(page.url()).pathname.split("/").pop() as string;
    const request = browsers.admin.page.locator(`article[data-job-id="${jobId}"]`);
    await browsers.admin.page.goto(`${baseUrl}/admin/approvals`);
    await request.getByRole("button", { name: "Approve" }).click();
    await request.waitFor({ state: "detached", timeout: 15_000 });

    // A faulty trainer: its privacy event claims twice the job's reservation, on the job's own event stream.
    await reportAsTrainer(jobId, { mechanism: "dp-sgd", runId: "run-faulty", epsilon: 1, delta: 0, steps: 1 });
    await expect.poll(() => jobStatus(page), { timeout: 60_000, interval: 1_000 }).toBe("FAILED");
    await page.getByRole("alert").filter({ hasText: "The ledger refused the excess" }).waitFor();
    await shot(browsers.owner, "15b-job-charge-refused");

    await browsers.admin.page.goto(`${baseUrl}/admin/audit`);
    const alert = browsers.admin.page.locator('tr[data-action="ledger.charge_refused"]', { hasText: jobId.slice(-8) });
    await alert.waitFor({ timeout: 15_000 });
    expect(await alert.textContent()).toMatch(/system/);
    expect(await alert.textContent()).toMatch(/refused: 0\.5/);
    await shot(browsers.admin, "15c-admin-audit-refused-charge");
  }, 120_000);

  it("shows the admin pages to admins, and owners only a note that they are for admins", async () => {
    await browsers.owner.page.goto(`${baseUrl}/admin/approvals`);
    await browsers.owner.page.getByRole("heading", { name: "Admins only" }).waitFor();

    const { page } = browsers.admin;
    await page.goto(`${baseUrl}/admin/budgets`);
    const budget = page.getByRole("form", { name: `Budget of ${DATASET_NAME}` });
    await budget.waitFor();
    await shot(browsers.admin, "16-admin-budgets");
    // A budget change is confirmed with a reason; the audit trail shows the old and the new total.
    const total = budget.getByLabel("Total ε");
    const before = Number(await total.inputValue());
    await total.fill(String(before + 1));
    await budget.getByRole("button", { name: "Save budget…" }).click();
    const confirm = page.getByRole("form", { name: "Confirm the budget change" });
    await confirm.waitFor();
    expect(await confirm.getByTestId("budget-change").textContent()).toContain(`ε ${before} → ${before + 1}`);
    const change = confirm.getByRole("button", { name: "Change budget" });
    expect(await change.isDisabled()).toBe(true);
    await confirm.getByLabel("Reason").fill("A second study on this dataset was approved.");
    await change.click();
    await confirm.waitFor({ state: "hidden" });
    await page.goto(`${baseUrl}/admin/users`);
    await page.getByRole("table", { name: "Users" }).waitFor();
    await shot(browsers.admin, "17-admin-users");
    await page.goto(`${baseUrl}/admin/audit`);
    const audit = page.getByRole("table", { name: "Audit events" });
    await audit.waitFor();
    expect(await audit.textContent()).toContain(journey.jobId?.slice(-8));
    expect(await audit.textContent()).toContain(`${before} → ${before + 1}`);
    expect(await audit.textContent()).toContain("A second study on this dataset was approved.");
    await shot(browsers.admin, "18-admin-audit");
  });

  it("asks before revoking an API token, then shows it revoked", async () => {
    const { page } = browsers.owner;
    await page.goto(`${baseUrl}/settings`);
    await page.getByLabel("Token name").fill("e2e-revoke");
    await page.getByRole("button", { name: "Create token" }).click();
    const tokens = page.getByRole("table", { name: "API tokens" });
    const row = tokens.getByRole("row").filter({ hasText: "e2e-revoke" });
    await row.waitFor();
    await page.getByRole("button", { name: "Revoke e2e-revoke" }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke e2e-revoke?" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Keep it" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await row.getByText("revoked", { exact: true }).count()).toBe(0);
    await page.getByRole("button", { name: "Revoke e2e-revoke" }).click();
    await dialog.getByRole("button", { name: "Revoke token" }).click();
    await row.getByText("revoked", { exact: true }).waitFor();
  });

  it("fits phone widths: home, upload, job page", async () => {
    await atPhoneWidth(browsers.owner, "/", "19-phone-home", (page) =>
      page.getByRole("table", { name: "Jobs" }).getByRole("link", { name: "tiny-gpt2" }).first().waitFor(),
    );
    await atPhoneWidth(browsers.owner, "/datasets/new", "20-phone-upload", (page) =>
      page.getByTestId("dropzone").waitFor(),
    );
    await atPhoneWidth(browsers.owner, `/jobs/${journey.jobId}`, "21-phone-job", async (page) => {
      await page.getByRole("table", { name: "Real versus synthetic utility" }).waitFor({ timeout: 30_000 });
      await expect.poll(() => chartPoints(page), { timeout: 15_000 }).toBeGreaterThan(0);
    });
    await atPhoneWidth(browsers.admin, "/admin/approvals", "22-phone-approvals", (page) =>
      page.getByRole("heading", { name: "Approvals" }).waitFor(),
    );
  });
});
