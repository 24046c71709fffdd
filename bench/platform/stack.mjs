import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { Redis } from "ioredis";
import { REPO_ROOT } from "../../scripts/lib/repo.mjs";
import { waitFor } from "../../scripts/lib/wait.mjs";

/** Ports of the benchmarks' own stack, apart from `npm start` (3000…) and `npm test` (3100…). */
// The OpenID provider's too: a stack started in test mode starts one, and `npm test`'s own holds 3300.
const BENCH_PORTS = {
  DPSYNTH_WEB_PORT: "3390",
  DPSYNTH_PG_PORT: "55490",
  DPSYNTH_REDIS_PORT: "56390",
  DPSYNTH_OIDC_PORT: "3391",
};

/**
 * @typedef {object} Stack
 * @property {string} baseUrl
 * @property {string} redisUrl
 * @property {{ admin: { apiToken: string }, owner: { apiToken: string }, demoDatasetId: string }} credentials
 * @property {boolean} reused  true when it is a stack someone else started (npm test's)
 */

/** @param {string} url */
async function answers(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * The stack named by the environment, as `npm test` hands it to `npm run bench -- --smoke`: NEXTAUTH_URL answers,
 * REDIS_URL is set, and the seed's credentials are in $DPSYNTH_HOME. Undefined otherwise.
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<Stack | undefined>}
 */
async function runningStack(env) {
  const { NEXTAUTH_URL: baseUrl, REDIS_URL: redisUrl, DPSYNTH_HOME: home } = env;
  if (!baseUrl || !redisUrl || !home) return undefined;
  const file = join(home, "credentials.json");
  if (!existsSync(file) || !(await answers(`${baseUrl}/api/v1/openapi.json`))) return undefined;
  return { baseUrl, redisUrl, credentials: JSON.parse(readFileSync(file, "utf8")), reused: true };
}

/**
 * A stack of the benchmarks' own, started exactly as `npm test` starts one (the bootstrap's modules), with its
 * state in $DPSYNTH_HOME/bench (a fresh database each time) and its own ports; the model cache and the web build
 * are shared with `npm start`. `shutdown()` from scripts/lib/shutdown.mjs stops it.
 * @returns {Promise<Stack>}
 */
async function ownStack() {
  const rawRoot = process.env.DPSYNTH_HOME || ".dpsynth";
  const root = isAbsolute(rawRoot) ? rawRoot : resolve(REPO_ROOT, rawRoot);
  // Servers named in the environment would be someone else's: the benchmarks' stack starts its own.
  for (const name of ["DATABASE_URL", "REDIS_URL", "NEXTAUTH_URL", "BLOB_STORE_URL"]) delete process.env[name];
  process.env.DPSYNTH_MODEL_CACHE ||= join(root, "models");
  process.env.DPSYNTH_HOME = join(root, "bench");
  for (const [name, port] of Object.entries(BENCH_PORTS)) process.env[name] ||= port;

  const { migrate, prepare, seed, startApps } = await import("../../scripts/lib/stack.mjs");
  const { ensureWebBuild } = await import("../../scripts/lib/web-build.mjs");
  const { config, env } = await prepare("test");
  await migrate(env);
  await seed(env);
  await ensureWebBuild(join(root, "stamps"), env);
  const { processes, webUp } = await startApps(config, env, { withWeb: true });
  const dead = processes.filter((app) => !app.running()).map((app) => app.name);
  if (!webUp || dead.length > 0) throw new Error(`the benchmark stack did not come up (${dead.join(", ") || "web"})`);
  const credentials = JSON.parse(readFileSync(join(config.home, "credentials.json"), "utf8"));
  return { baseUrl: config.nextauthUrl, redisUrl: /** @type {string} */ (env.REDIS_URL), credentials, reused: false };
}

/**
 * Whether a trainer worker is connected to the queue: BullMQ workers name their Redis connection
 * `<prefix>:<queue>:w:<worker name>` (the Python package) or with the queue name in base64 (the Node one).
 * @param {string} redisUrl
 */
async function trainerListening(redisUrl) {
  const { queue } = JSON.parse(readFileSync(join(REPO_ROOT, "packages/contracts/schema/constants.json"), "utf8"));
  const names = [queue.train, Buffer.from(queue.train).toString("base64")].map(
    (name) => `name=${queue.prefix}:${name}:w:`,
  );
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const clients = String(await redis.client("LIST"));
    return names.some((name) => clients.includes(name));
  } finally {
    redis.disconnect();
  }
}

/**
 * The running stack the environment names, or a stack of the benchmarks' own; either way, once a trainer listens
 * on the queue (so a trainer's start-up is not measured as queue wait).
 * @returns {Promise<Stack>}
 */
export async function benchStack() {
  const running = await runningStack(process.env);
  if (running) console.log(`using the running stack at ${running.baseUrl}`);
  else console.log("starting a stack of the benchmarks' own (as npm test does)…");
  const stack = running ?? (await ownStack());
  if (!(await waitFor(() => trainerListening(stack.redisUrl), 180_000, 1_000))) {
    throw new Error("no trainer worker is listening on the queue (waited 3 minutes)");
  }
  return stack;
}
