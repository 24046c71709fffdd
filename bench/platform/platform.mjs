import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import { REPO_ROOT } from "../../scripts/lib/repo.mjs";
import { apiClient, DEMO_UPLOAD_FIELDS } from "./api.mjs";
import { percentile, ratio, sleep } from "./stats.mjs";

const HERE = join(REPO_ROOT, "bench/platform");
const DEMO_CSV = join(REPO_ROOT, "services/trainer/tests/fixtures/rotten_tomatoes_600.csv");
const CONSTANTS = JSON.parse(readFileSync(join(REPO_ROOT, "packages/contracts/schema/constants.json"), "utf8"));
const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "REJECTED"]);

/** Sizes: every loop is bounded in count and in time, and all traffic stays on loopback. */
const SIZES = {
  full: {
    requests: 1000,
    concurrency: 8,
    maxSeconds: 60,
    subscribers: [1, 200, 1000],
    events: 100,
    intervalMs: 20,
    jobs: 3,
  },
  smoke: { requests: 20, concurrency: 2, maxSeconds: 15, subscribers: [1, 5], events: 5, intervalMs: 20, jobs: 1 },
};

/**
 * Runs a worker script in a second Node process and resolves with the JSON line it prints last; `onLine` sees
 * every other line (the SSE worker says `ready`).
 * @param {string} script
 * @param {object} config
 * @param {(line: string) => void} [onLine]
 * @returns {Promise<any>}
 */
function worker(script, config, onLine) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(HERE, script), JSON.stringify(config)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let last = "";
    createInterface({ input: /** @type {import("node:stream").Readable} */ (child.stdout) }).on("line", (line) => {
      if (line.startsWith("{")) last = line;
      else onLine?.(line);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 && last) resolve(JSON.parse(last));
      else reject(new Error(`${script} exited with code ${code}`));
    });
  });
}

/**
 * @param {import("./api.mjs").ApiClient} owner
 * @param {import("./api.mjs").ApiClient} admin
 */
async function setUp(owner, admin) {
  const dataset = (
    await owner.expect(
      owner.upload(DEMO_CSV, {
        name: `bench platform ${new Date().toISOString()}`,
        ...DEMO_UPLOAD_FIELDS,
      }),
      201,
      "uploading the demo CSV",
    )
  ).body;
  // Room for every job the benchmark asks for; delta per job is capped at a tenth of the dataset's.
  await admin.expect(
    admin.call("PUT", `/api/v1/datasets/${dataset.id}/budget`, { epsilonTotal: 1000, delta: 1e-3 }),
    200,
    "raising the benchmark dataset's budget",
  );
  const me = (await owner.expect(owner.call("GET", "/api/v1/me"), 200, "reading the owner")).body;
  const allowance = (/** @type {number} */ epsilonAllowance) =>
    admin.expect(
      admin.call("PUT", `/api/v1/users/${me.id}`, { epsilonAllowance }),
      200,
      `setting the owner's allowance to ${epsilonAllowance}`,
    );
  // A job that waits for an admin stays open, and no trainer or control touches its event stream, so the SSE
  // measurement below has the stream to itself. With an allowance of 0 any request waits; the allowance then makes
  // room (100, the most an admin may give) for the measurements' own jobs, which must run at once: it counts
  // everything the owner holds on the dataset, the pending job included.
  await allowance(0);
  const pending = (
    await owner.expect(
      owner.call("POST", "/api/v1/jobs", { datasetId: dataset.id, model: "tiny-gpt2", epsilon: 1, syntheticRows: 10 }),
      201,
      "requesting a job above the allowance",
    )
  ).body;
  if (pending.status !== "PENDING_APPROVAL") throw new Error(`the job above the allowance is ${pending.status}`);
  await allowance(100);
  return { dataset, pending };
}

/**
 * @param {import("./stack.mjs").Stack} stack
 * @param {typeof SIZES.full} size
 * @param {{ name: string, method: string, path: string, body?: unknown, token: string }[]} endpoints
 */
async function apiLatency(stack, size, endpoints) {
  const results = [];
  for (const endpoint of endpoints) {
    const measured = await worker("load-worker.mjs", {
      baseUrl: stack.baseUrl,
      token: endpoint.token,
      method: endpoint.method,
      path: endpoint.path,
      body: endpoint.body,
      requests: size.requests,
      concurrency: size.concurrency,
      maxSeconds: size.maxSeconds,
    });
    const errors = Object.entries(measured.statuses)
      .filter(([status]) => !status.startsWith("2"))
      .reduce((sum, [, count]) => sum + count, 0);
    const row = {
      name: endpoint.name,
      completed: measured.completed,
      p50: percentile(measured.latenciesMs, 50),
      p95: percentile(measured.latenciesMs, 95),
      p99: percentile(measured.latenciesMs, 99),
      perSecond: measured.completed / measured.seconds,
      errors,
      statuses: measured.statuses,
    };
    console.log(`  ${row.name}: p50 ${row.p50?.toFixed(1)} ms, p99 ${row.p99?.toFixed(1)} ms, ${errors} errors`);
    results.push(row);
  }
  return results;
}

/**
 * SSE fan-out: `subscribers` clients in a second process follow the pending job's events while this process
 * XADDs trainer-style `log` events to its stream, as the trainer's Redis sink does.
 * @param {import("./stack.mjs").Stack} stack
 * @param {Redis} redis
 * @param {string} jobId
 * @param {number} subscribers
 * @param {typeof SIZES.full} size
 */
async function sseFanOut(stack, redis, jobId, subscribers, size) {
  const marker = `bench-${subscribers}-${Date.now()}`;
  const { eventsStreamPrefix, eventSeqPrefix } = CONSTANTS.redisKeys;
  let sentFirst = 0;
  let sentLast = 0;
  const result = await worker(
    "sse-worker.mjs",
    {
      url: `${stack.baseUrl}/api/v1/jobs/${jobId}/events`,
      token: stack.credentials.owner.apiToken,
      subscribers,
      expect: size.events,
      marker,
      maxSeconds: size.maxSeconds + 30,
    },
    async (line) => {
      if (line !== "ready") return;
      sentFirst = Date.now();
      for (let i = 0; i < size.events; i++) {
        const seq = await redis.incr(`${eventSeqPrefix}${jobId}`);
        const event = {
          schemaVersion: CONSTANTS.schemaVersion,
          jobId,
          seq,
          ts: new Date().toISOString(),
          attempt: 1,
          type: "log",
          level: "info",
          message: `${marker} ${i}`,
        };
        await redis.xadd(`${eventsStreamPrefix}${jobId}`, "*", "event", JSON.stringify(event));
        await sleep(size.intervalMs);
      }
      sentLast = Date.now();
    },
  );
  /** @type {number[]} */
  const lags = result.lags.flat();
  const span = (result.lastReceipt - sentFirst) / 1000;
  const row = {
    subscribers,
    opened: result.opened,
    complete: result.complete,
    eventsSent: size.events,
    offeredPerSecond: size.events / Math.max((sentLast - sentFirst) / 1000, 1e-3),
    deliveries: lags.length,
    deliveredPerSecond: span > 0 ? lags.length / span : null,
    p50: percentile(lags, 50),
    p95: percentile(lags, 95),
    p99: percentile(lags, 99),
    failures: result.failures,
  };
  console.log(
    `  ${subscribers} subscriber(s): ${row.deliveries} deliveries, lag p50 ${row.p50} ms, p99 ${row.p99} ms, ${row.complete}/${subscribers} complete`,
  );
  return row;
}

/**
 * Waits (bounded) until no job is queued or running anywhere, so the next one finds the trainer idle.
 * @param {import("./api.mjs").ApiClient} admin
 */
async function trainerIdle(admin) {
  for (const until = Date.now() + 300_000; Date.now() < until; await sleep(1_000)) {
    const [queued, running] = await Promise.all(
      ["QUEUED", "RUNNING"].map(async (status) => (await admin.call("GET", `/api/v1/jobs?status=${status}`)).body),
    );
    if ((queued?.jobs?.length ?? 1) === 0 && (running?.jobs?.length ?? 1) === 0) return true;
  }
  return false;
}

/**
 * Queue latency: a job accepted by the API until a trainer takes it (control records `startedAt` on BullMQ's
 * `active`); each job starts on an idle trainer and is cancelled and left to end before the next.
 * @param {import("./api.mjs").ApiClient} owner
 * @param {import("./api.mjs").ApiClient} admin
 * @param {string} datasetId
 * @param {typeof SIZES.full} size
 */
async function queueLatency(owner, admin, datasetId, size) {
  const rows = [];
  for (let i = 0; i < size.jobs; i++) {
    if (!(await trainerIdle(admin))) console.log("  (other jobs were still queued or running after 5 minutes)");
    const created = await owner.expect(
      owner.call("POST", "/api/v1/jobs", {
        datasetId,
        model: "tiny-gpt2",
        epsilon: 1,
        syntheticRows: 10,
        preset: "smoke",
      }),
      201,
      "creating a job for the queue measurement",
    );
    const job = created.body;
    let seen = job;
    const deadline = Date.now() + 60_000;
    while (!seen.startedAt && !FINAL.has(seen.status) && Date.now() < deadline) {
      await sleep(50);
      seen = (await owner.call("GET", `/api/v1/jobs/${job.id}`)).body;
    }
    const clientSeenAt = Date.now();
    await owner.call("POST", `/api/v1/jobs/${job.id}/cancel`);
    const endBy = Date.now() + 120_000;
    while (!FINAL.has(seen.status) && Date.now() < endBy) {
      await sleep(250);
      seen = (await owner.call("GET", `/api/v1/jobs/${job.id}`)).body;
    }
    const latency = seen.startedAt ? (Date.parse(seen.startedAt) - Date.parse(job.createdAt)) / 1000 : null;
    rows.push({
      jobId: job.id,
      acceptMs: created.ms,
      latencyS: latency,
      clientSeenS: (clientSeenAt - Date.parse(job.createdAt)) / 1000,
      final: seen.status,
    });
    console.log(`  job ${i + 1}: accepted → trainer start ${latency ?? "never (60 s)"} s; ended ${seen.status}`);
  }
  return rows;
}

/**
 * platform: API latency percentiles under bounded load, SSE fan-out throughput and lag, queue latency.
 * @param {import("./stack.mjs").Stack} stack
 * @param {{ smoke: boolean }} options
 */
export async function platform(stack, { smoke }) {
  const size = smoke ? SIZES.smoke : SIZES.full;
  const owner = apiClient(stack.baseUrl, stack.credentials.owner.apiToken);
  const admin = apiClient(stack.baseUrl, stack.credentials.admin.apiToken);
  const { dataset, pending } = await setUp(owner, admin);
  const ownerToken = owner.token;
  const endpoints = [
    {
      name: "GET /api/v1/me (floor: authentication and one read)",
      method: "GET",
      path: "/api/v1/me",
      token: ownerToken,
    },
    { name: "GET /api/v1/jobs", method: "GET", path: "/api/v1/jobs", token: ownerToken },
    { name: "GET /api/v1/datasets/:id", method: "GET", path: `/api/v1/datasets/${dataset.id}`, token: ownerToken },
    { name: "GET /api/v1/jobs/:id", method: "GET", path: `/api/v1/jobs/${pending.id}`, token: ownerToken },
    {
      name: "POST /api/v1/jobs/quote",
      method: "POST",
      path: "/api/v1/jobs/quote",
      body: { datasetId: dataset.id, model: "tiny-gpt2", epsilon: 1, syntheticRows: 100 },
      token: ownerToken,
    },
    {
      name: "PUT /api/v1/datasets/:id/budget (admin write)",
      method: "PUT",
      path: `/api/v1/datasets/${dataset.id}/budget`,
      body: { epsilonTotal: 1000, delta: 1e-3 },
      token: admin.token,
    },
  ];
  console.log("API latency (second process, loopback)…");
  const latency = await apiLatency(stack, size, endpoints);
  const floor = latency[0]?.p50;

  console.log("SSE fan-out…");
  const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 3 });
  const fanOut = [];
  try {
    for (const subscribers of size.subscribers)
      fanOut.push(await sseFanOut(stack, redis, pending.id, subscribers, size));
  } finally {
    redis.disconnect();
  }
  const single = fanOut[0];

  console.log("queue latency…");
  const queue = await queueLatency(owner, admin, dataset.id, size);
  await owner.call("POST", `/api/v1/jobs/${pending.id}/cancel`);

  return {
    title: "Platform latency and throughput (platform)",
    summary:
      "API latency percentiles under a bounded load from a second process on loopback, SSE fan-out (events/s and " +
      "XADD-to-client lag) with many concurrent subscribers, and queue latency from job accepted to trainer start.",
    parameters: {
      stack: stack.reused
        ? `running stack at ${stack.baseUrl}`
        : `own stack at ${stack.baseUrl} (started as npm test does)`,
      "requests per route (bound)": size.requests,
      "concurrent requests": size.concurrency,
      "seconds per route (bound)": size.maxSeconds,
      "SSE subscribers": size.subscribers.join(" and "),
      "events per SSE run": size.events,
      "interval between XADDs ms": size.intervalMs,
      "queue-latency jobs": size.jobs,
    },
    tables: [
      {
        title: "API latency under bounded load (ratio: p50 over the floor route's p50, same run)",
        columns: ["route", "requests", "p50 ms", "p95 ms", "p99 ms", "requests/s", "p50 ratio", "non-2xx or errors"],
        rows: latency.map((r) => [
          r.name,
          r.completed,
          r.p50,
          r.p95,
          r.p99,
          r.perSecond,
          ratio(r.p50, floor),
          r.errors,
        ]),
      },
      {
        title: "SSE fan-out: trainer-style XADD to receipt by the SSE client (ratio: over 1 subscriber, same run)",
        columns: [
          "subscribers",
          "subscribed",
          "got every event",
          "events offered/s",
          "deliveries",
          "delivered/s",
          "lag p50 ms",
          "lag p95 ms",
          "lag p99 ms",
          "lag p50 ratio",
          "delivered/s ratio",
        ],
        rows: fanOut.map((r) => [
          r.subscribers,
          r.opened,
          r.complete,
          r.offeredPerSecond,
          r.deliveries,
          r.deliveredPerSecond,
          r.p50,
          r.p95,
          r.p99,
          ratio(r.p50, single?.p50),
          ratio(r.deliveredPerSecond, single?.deliveredPerSecond),
        ]),
      },
      {
        title: "Queue latency: job accepted (createdAt) to trainer start (startedAt) (ratio: over the accepting POST)",
        columns: [
          "job",
          "POST /api/v1/jobs ms",
          "accepted → trainer start s",
          "client saw it started s",
          "ratio",
          "ended",
        ],
        rows: queue.map((r, i) => [
          i + 1,
          r.acceptMs,
          r.latencyS,
          r.clientSeenS,
          ratio(r.latencyS, r.acceptMs / 1000),
          r.final,
        ]),
      },
    ],
    notes: [
      "Lag is the SSE client's receipt time minus the event's `ts`, both from this machine's clock.",
      "The SSE runs follow a job waiting for approval: open, so the route tails its Redis stream, and unread by control.",
    ],
    measurements: { latency, fanOut, queue },
  };
}
