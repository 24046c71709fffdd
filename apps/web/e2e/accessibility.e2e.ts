import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TResultEvent } from "@dpsynth/contracts";
import { createPrismaClient, type PrismaClient } from "@dpsynth/db";
import { Redis } from "ioredis";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectAccessible, internalNamesShown } from "./support/accessibility.ts";
import { type E2EBrowser, launchBrowser } from "./support/browser.ts";
import { e2eEnv, seededAdmin, seededOwner } from "./support/env.ts";
import { signIn } from "./support/session.ts";
import {
  emit,
  fixtureReport,
  holdOnQueue,
  jobNoTrainerTakes,
  jobReaching,
  ownerApi,
  reportArtifact,
  seededCredentials,
} from "./support/trainer-events.ts";
import { dropFile } from "./support/upload.ts";

/**
 * Every page a user reaches, judged by axe-core (no serious or critical violation) as the owner and as the admin,
 * with a full-page screenshot of each in E2E_ARTIFACTS_DIR, and none of them showing the code's own names to its
 * reader. One job on the demo dataset walks through waiting, running and finished, and while it runs two more wait on
 * the queue behind it; its trainer events are written to Redis as a trainer writes them (no trainer takes these
 * jobs), so the pages fill without a training run.
 */

const { baseUrl, artifactsDir } = e2eEnv();
const DEMO_CSV = fileURLToPath(
  new URL("../../../services/trainer/tests/fixtures/rotten_tomatoes_600.csv", import.meta.url),
);
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };
/** Above the seeded owner's allowance of 3: the job waits for approval, off the queue. */
const EPSILON = 4;
const ROWS = 40;
/** Each of the queued jobs' ε: the owner already holds 4 on the dataset, so each still waits for approval first. */
const QUEUED_EPSILON = 0.1;

type TWho = "owner" | "admin" | "anonymous";
type TStage = "waiting" | "running" | "finished";
/** The dataset, the job that walks through the stages, and the two queued behind it while it runs (first asked first). */
type TIds = { datasetId: string; jobId: string; queued: string[] };

/** A page as a user reaches it; adding a page to the dashboard adds a line here. */
type TPage = {
  name: string;
  path: (ids: TIds) => string;
  /** Waits until the page shows what it is for, doing what brings it to the state judged (a dropped file, an error). */
  ready: (page: Page, who: TWho, ids: TIds) => Promise<unknown>;
  /** Who visits it: the owner and the admin unless said otherwise. */
  as?: TWho[];
  /** Where this file's job must be first: waiting for approval unless said otherwise. */
  stage?: TStage;
};

const heading = (page: Page, name: string | RegExp) => page.getByRole("heading", { name, level: 1 }).waitFor();
/** Admin pages: their content for the admin, a note that they are for admins to the owner. */
const adminOnly = (ready: (page: Page) => Promise<unknown>) => (page: Page, who: TWho) =>
  who === "admin" ? ready(page) : heading(page, "Admins only");

const PAGES: TPage[] = [
  { name: "login", path: () => "/login", as: ["anonymous"], ready: (page) => heading(page, "Sign in") },
  {
    name: "login-refused",
    path: () => "/login",
    as: ["anonymous"],
    ready: async (page) => {
      await page.getByLabel("Email", { exact: true }).fill("nobody@example.com");
      await page.getByLabel("Password", { exact: true }).fill("not-a-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").filter({ hasText: "do not match an account" }).waitFor();
    },
  },
  {
    name: "overview",
    path: () => "/",
    ready: (page) => page.getByRole("table", { name: "Jobs" }).waitFor(),
  },
  {
    name: "upload",
    path: () => "/datasets/new",
    as: ["owner"],
    ready: (page) => page.getByTestId("dropzone").waitFor(),
  },
  {
    name: "upload-refused",
    path: () => "/datasets/new",
    as: ["owner"],
    ready: async (page) => {
      await dropFile(page, "dropzone", { name: "ragged.csv", text: "review,label\nfine,fresh\ntoo,many,cells\n" });
      await page.getByRole("alert").filter({ hasText: "The file was refused" }).waitFor({ timeout: 30_000 });
    },
  },
  {
    name: "upload-details",
    path: () => "/datasets/new",
    as: ["owner"],
    ready: async (page) => {
      await dropFile(page, "dropzone", { name: "reviews.csv", text: readFileSync(DEMO_CSV, "utf8") });
      await page.getByRole("table", { name: "Detected columns" }).waitFor({ timeout: 30_000 });
      // The steps as an owner meets them when something needs fixing: a field error and a too-small label set.
      await page.getByLabel("Holdout (%)").fill("0");
      await page.getByLabel("Keep rotten").uncheck();
      await page.locator("#labels-error").waitFor();
    },
  },
  {
    name: "dataset",
    path: ({ datasetId }) => `/datasets/${datasetId}`,
    ready: (page) => page.getByRole("table", { name: "Privacy ledger" }).waitFor(),
  },
  {
    name: "new-job",
    path: ({ datasetId }) => `/jobs/new?datasetId=${datasetId}`,
    ready: async (page) => {
      await page.getByText("Hyper-parameters").click();
      await page.getByLabel("Epochs", { exact: true }).fill("0");
      await page.getByTestId("quote-blocked").waitFor();
    },
  },
  {
    name: "job-waiting",
    path: ({ jobId }) => `/jobs/${jobId}`,
    ready: (page) => page.getByText("Waiting for an administrator").waitFor(),
  },
  {
    name: "approvals",
    path: () => "/admin/approvals",
    ready: adminOnly((page) => page.locator("article[data-job-id]").first().waitFor()),
  },
  {
    name: "reject-dialog",
    path: () => "/admin/approvals",
    as: ["admin"],
    ready: async (page, _who, { jobId }) => {
      await page.locator(`article[data-job-id="${jobId}"]`).getByRole("button", { name: "Reject" }).click();
      await page.getByRole("dialog", { name: "Reject this request" }).waitFor();
    },
  },
  {
    name: "budgets",
    path: () => "/admin/budgets",
    ready: adminOnly((page) => page.getByRole("form").first().waitFor()),
  },
  {
    name: "users",
    path: () => "/admin/users",
    ready: adminOnly((page) => page.getByRole("table", { name: "Users" }).waitFor()),
  },
  {
    name: "audit",
    path: () => "/admin/audit",
    ready: adminOnly((page) => page.getByRole("table", { name: "Audit events" }).waitFor()),
  },
  { name: "settings", path: () => "/settings", ready: (page) => heading(page, "Account") },
  { name: "not-found", path: () => "/no-such-page", ready: (page) => heading(page, "Page not found") },
  { name: "job-not-found", path: () => "/jobs/no-such-job", ready: (page) => heading(page, "Not found") },
  {
    name: "job-running",
    path: ({ jobId }) => `/jobs/${jobId}`,
    stage: "running",
    ready: async (page) => {
      await page.locator('h1 [data-status="RUNNING"]').waitFor({ timeout: 15_000 });
      await expect.poll(() => chartPoints(page), { timeout: 15_000 }).toBeGreaterThan(1);
      // The progress bar counts the run's planned steps, not only the ones done.
      await expect
        .poll(() => page.locator("main").textContent(), { timeout: 15_000 })
        .toContain(`step ${CHECKPOINTS.length} of ${PLANNED_STEPS}`);
      // Training's time left, at the run's own pace (its steps STEP_SECONDS apart), within the page clock's second
      // and rounding; it counts down between the trainer's events.
      const left = await trainingSecondsLeft(page);
      const atRunPace = trainingLeftAtRunPace();
      expect(left).toBeGreaterThanOrEqual(atRunPace - 3);
      expect(left).toBeLessThanOrEqual(atRunPace + 3);
      await page.waitForTimeout(2_100);
      expect(await trainingSecondsLeft(page)).toBeLessThan(left ?? 0);
    },
  },
  {
    name: "job-queued-next",
    path: ({ queued }) => `/jobs/${queued[0]}`,
    stage: "running",
    // The running job is not in line; the first queued one has nothing ahead of it.
    ready: (page) => queuePosition(page, "Next in line: it starts as soon as a trainer is free."),
  },
  {
    name: "job-queued-behind",
    path: ({ queued }) => `/jobs/${queued[1]}`,
    stage: "running",
    ready: (page) => queuePosition(page, "1 job is ahead of it in the queue; it starts after that one."),
  },
  {
    name: "job-finished",
    path: ({ jobId }) => `/jobs/${jobId}`,
    stage: "finished",
    ready: (page) => page.getByRole("table", { name: "Real versus synthetic utility" }).waitFor({ timeout: 30_000 }),
  },
  {
    name: "compare",
    path: ({ datasetId, jobId }) => `/compare?datasetId=${datasetId}&jobs=${jobId}`,
    stage: "finished",
    ready: (page) => page.getByRole("table", { name: "Report metrics by job" }).waitFor({ timeout: 30_000 }),
  },
  {
    name: "dataset-ledger-open",
    path: ({ datasetId }) => `/datasets/${datasetId}`,
    stage: "finished",
    ready: (page, _who, { jobId }) => openLedgerRow(page, jobId),
  },
];

/** The queued job's place in the queue, in the page's words. */
async function queuePosition(page: Page, words: string) {
  const notice = page.getByTestId("queue-position");
  await notice.waitFor({ timeout: 15_000 });
  expect(await notice.textContent()).toContain(words);
}

/** The training bar's "about 8m 52s left", in seconds; null while it shows no time left. */
async function trainingSecondsLeft(page: Page): Promise<number | null> {
  const progress = await page.getByRole("region", { name: "Progress" }).textContent();
  const left = progress?.match(/step \d+ of \d+ · epoch [\d.]+ of \d+ · about (?:(\d+)m )?(\d+)s left/);
  return left ? Number(left[1] ?? 0) * 60 + Number(left[2]) : null;
}

async function chartPoints(page: Page): Promise<number> {
  return Number((await page.getByTestId("loss-epsilon-chart").getAttribute("data-points")) ?? 0);
}

function ledgerRow(page: Page, jobId: string) {
  return page.getByRole("table", { name: "Privacy ledger" }).locator(`tbody[data-ledger-job="${jobId}"]`);
}

async function openLedgerRow(page: Page, jobId: string) {
  await ledgerRow(page, jobId)
    .getByRole("button", { name: /^Show the \d+ charges? of job / })
    .click();
  await page.getByRole("table", { name: `Charges of job ${jobId.slice(-8)}` }).waitFor();
}

/** Two checkpoints of one training run: cumulative ε, so the ledger charges 0.3, then 0.2. */
const CHECKPOINTS = [0.3, 0.5];
/** The steps the run plans (train/total_steps), more than it has done when the running pages are judged. */
const PLANNED_STEPS = 20;
/** The run's pace: its events are dated a step apart, the last one when they are written. */
const STEP_SECONDS = 30;
/** When the run's latest step was reported (ms). */
let lastStepAt = 0;

/** What training has left at `now` if the run keeps its pace: the planned steps to go, less the time since the last. */
function trainingLeftAtRunPace(now = Date.now()): number {
  return (PLANNED_STEPS - CHECKPOINTS.length) * STEP_SECONDS - (now - lastStepAt) / 1000;
}

const training: TResultEvent["training"] = {
  runId: "run-a11y",
  noiseMultiplier: 1.1,
  sampleRate: 0.1,
  steps: 2,
  epochs: 1,
  maxGradNorm: 1,
  accountant: "prv",
  epsilon: CHECKPOINTS.at(-1) ?? 0,
  delta: 1e-6,
  clipping: "hooks",
};

/** What moves this file's job on to a stage: the trainer events of that part of a run. */
const STAGES: Record<Exclude<TStage, "waiting">, (ids: TIds) => Promise<void>> = {
  async running({ jobId, queued }) {
    releaseQueueEntry = await holdOnQueue(prisma, jobId);
    lastStepAt = Date.now();
    /** When step `step` was reported: the run loaded and began training one step's time before its first step. */
    const at = (step: number) => new Date(lastStepAt - (CHECKPOINTS.length - step) * STEP_SECONDS * 1000).toISOString();
    await emit(redis, jobId, [
      { type: "stage", stage: "loading", ts: at(0) },
      { type: "stage", stage: "training", ts: at(0) },
      ...CHECKPOINTS.flatMap((epsilon, index) => [
        {
          type: "metric" as const,
          ts: at(index + 1),
          step: index + 1,
          epoch: (index + 1) / 2,
          values: { "train/loss": 3 - index, "privacy/epsilon": epsilon, "train/total_steps": PLANNED_STEPS },
        },
        {
          type: "privacy" as const,
          ts: at(index + 1),
          mechanism: "dp-sgd" as const,
          runId: training.runId,
          epsilon,
          delta: 1e-6,
          steps: index + 1,
        },
      ]),
    ]);
    expect((await jobReaching(baseUrl, jobId, "RUNNING")).status).toBe("RUNNING");
    // Two more of the owner's jobs wait on the queue behind it (as if approved), in the order they were asked for.
    for (let count = 0; count < 2; count++) {
      const queuedId = await jobNoTrainerTakes(baseUrl, { epsilon: QUEUED_EPSILON, syntheticRows: ROWS });
      releaseQueued.push(await holdOnQueue(prisma, queuedId));
      queued.push(queuedId);
    }
  },
  async finished({ jobId }) {
    await emit(redis, jobId, [
      { type: "stage", stage: "sampling" },
      { type: "stage", stage: "evaluating" },
      await reportArtifact(jobId, fixtureReport(jobId)),
      {
        type: "result",
        training,
        metrics: { "sampling/parsed": ROWS },
        artifacts: ["report.json"],
        rows: { requested: ROWS, produced: ROWS },
        warnings: [],
      },
    ]);
    expect((await jobReaching(baseUrl, jobId, "SUCCEEDED")).status).toBe("SUCCEEDED");
    await releaseQueueEntry?.();
    releaseQueueEntry = undefined;
  },
};

let prisma: PrismaClient;
let redis: Redis;
let releaseQueueEntry: (() => Promise<void>) | undefined;
const releaseQueued: (() => Promise<void>)[] = [];
const ids: TIds = { datasetId: "", jobId: "", queued: [] };
const browsers = new Map<TWho, E2EBrowser>();

/** The browser of `who`, signed in on first use (the anonymous one never is). */
async function browserOf(who: TWho): Promise<E2EBrowser> {
  const known = browsers.get(who);
  if (known) return known;
  const browser = await launchBrowser(artifactsDir);
  browsers.set(who, browser);
  if (who !== "anonymous") await signIn(baseUrl, browser, who === "owner" ? seededOwner() : seededAdmin());
  return browser;
}

beforeAll(async () => {
  prisma = createPrismaClient({ url: process.env.DATABASE_URL ?? "" });
  redis = new Redis(process.env.REDIS_URL ?? "");
  ids.datasetId = seededCredentials().demoDatasetId;
  ids.jobId = await jobNoTrainerTakes(baseUrl, { epsilon: EPSILON, syntheticRows: ROWS });
});
afterAll(async () => {
  await releaseQueueEntry?.();
  // The queued jobs end cancelled (nothing charged, their reservations released) rather than wait on for a trainer.
  for (const queuedId of ids.queued) await ownerApi(baseUrl, `/jobs/${queuedId}/cancel`, {});
  for (const release of releaseQueued) await release();
  for (const browser of browsers.values()) await browser.close();
  redis?.disconnect();
  await prisma?.$disconnect();
});
afterEach(async (context) => {
  if (context.task.result?.state !== "fail") return;
  for (const [who, browser] of browsers) await browser.screenshot(`failed-a11y-${who}-${context.task.name}`);
});

for (const stage of ["waiting", "running", "finished"] as const) {
  describe(`every page, with the job ${stage}`, () => {
    if (stage !== "waiting") beforeAll(() => STAGES[stage](ids), 60_000);
    for (const visit of PAGES.filter((candidate) => (candidate.stage ?? "waiting") === stage)) {
      for (const who of visit.as ?? (["owner", "admin"] as const)) {
        it(`${visit.name} as the ${who}: no serious axe violation, no internal names`, async () => {
          const { page } = await browserOf(who);
          await page.goto(`${baseUrl}${visit.path(ids)}`);
          await visit.ready(page, who, ids);
          await expectAccessible(page, `${visit.name}-${who}`);
          expect(await internalNamesShown(page)).toEqual([]);
        });
      }
    }
  });
}

describe("the finished job's ledger, at a phone's width too", () => {
  it("shows the job as one row, its two charges summed, that opens to the charges", async () => {
    const { page } = await browserOf("owner");
    await page.goto(`${baseUrl}/datasets/${ids.datasetId}`);
    const row = ledgerRow(page, ids.jobId);
    await row.waitFor();
    // The job's own row: reserved, spent (the charges summed) and released, and nothing of it on any other row.
    const cells = await row.locator("tr").first().locator("td").allTextContents();
    expect(cells).toContain("4");
    expect(cells).toContain("0.5");
    expect(cells).toContain("3.5");
    await openLedgerRow(page, ids.jobId);
    const charges = page.getByRole("table", { name: `Charges of job ${ids.jobId.slice(-8)}` });
    expect(await charges.locator("tbody tr").count()).toBe(CHECKPOINTS.length);
    expect(await charges.locator("tbody tr td:nth-child(3)").allTextContents()).toEqual(["0.3", "0.2"]);
  });

  it("keeps every ε column of the jobs and ledger tables, and each dataset's ε left, inside a 390 px viewport", async () => {
    const { page } = await browserOf("owner");
    await page.setViewportSize(PHONE);
    try {
      await page.goto(`${baseUrl}/`);
      await page.getByRole("table", { name: "Jobs" }).waitFor();
      expect(await epsilonOutsideViewport(page)).toEqual([]);
      await page.goto(`${baseUrl}/datasets/${ids.datasetId}`);
      await page.getByRole("table", { name: "Privacy ledger" }).waitFor();
      await page.getByRole("table", { name: "Jobs" }).waitFor();
      await openLedgerRow(page, ids.jobId);
      expect(await epsilonOutsideViewport(page)).toEqual([]);
      await expectAccessible(page, "dataset-phone-owner");
    } finally {
      await page.setViewportSize(LAPTOP);
    }
  });
});

/**
 * The ε columns' header cells (and the overview's "ε … left" lines) that do not lie wholly inside the viewport and
 * inside the scroll box of their table, and tables wider than their box: what a phone user would have to find by
 * scrolling sideways.
 */
function epsilonOutsideViewport(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const inside = (box: DOMRect, within: { left: number; right: number }) =>
      box.width > 0 && box.left >= within.left - 0.5 && box.right <= within.right + 0.5;
    const viewport = { left: 0, right: window.innerWidth };
    const outside: string[] = [];
    for (const header of document.querySelectorAll<HTMLElement>("table th")) {
      if (!header.textContent?.includes("ε") || header.offsetParent === null) continue;
      const table = header.closest("table");
      const wrap = header.closest<HTMLElement>(".table-wrap")?.getBoundingClientRect() ?? viewport;
      const box = header.getBoundingClientRect();
      if (!inside(box, viewport) || !inside(box, wrap)) {
        outside.push(`${table?.getAttribute("aria-label")}: "${header.textContent}" at ${box.left}-${box.right}`);
      }
    }
    // Nor may the table scroll sideways at all: a column pushed out of its box is clipped just the same.
    for (const wrap of document.querySelectorAll<HTMLElement>(".table-wrap")) {
      const label = wrap.querySelector("table")?.getAttribute("aria-label");
      if (wrap.offsetParent !== null && wrap.scrollWidth > wrap.clientWidth + 1) {
        outside.push(`${label}: ${wrap.scrollWidth} px wide in a ${wrap.clientWidth} px box`);
      }
    }
    for (const line of document.querySelectorAll<HTMLElement>('ul[aria-label="Datasets"] li .num')) {
      const box = line.getBoundingClientRect();
      if (line.textContent?.includes("ε") && !inside(box, viewport))
        outside.push(`dataset card: "${line.textContent}"`);
    }
    return outside;
  });
}

describe("the way back and the app's icon", () => {
  it("offers a way back from an unknown address, and serves the favicon the pages name", async () => {
    const { page, context } = await browserOf("owner");
    const response = await page.goto(`${baseUrl}/no-such-page`);
    expect(response?.status()).toBe(404);
    const icon = await page.locator('head link[rel="icon"]').getAttribute("href");
    expect(icon).toBeTruthy();
    const served = await context.request.get(new URL(icon ?? "", baseUrl).href);
    expect(served.status()).toBe(200);
    expect(served.headers()["content-type"]).toMatch(/^image\//);
    expect((await served.body()).length).toBeGreaterThan(0);

    await page.getByRole("link", { name: "Back to the overview" }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await heading(page, /Welcome|Overview/);
    // A job that is not there (or not the reader's) answers the same way, inside the dashboard.
    await page.goto(`${baseUrl}/jobs/no-such-job`);
    await page.getByRole("link", { name: "Back to the overview" }).click();
    await page.waitForURL((url) => url.pathname === "/");
  });
});
