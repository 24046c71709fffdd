import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { ensureDebianPackages } from "./apt.mjs";
import { ensureNodeModules } from "./node-modules.mjs";
import { ownServerOptions } from "./own-servers.mjs";
import { ensurePostgres } from "./postgres.mjs";
import { ensurePrismaClient } from "./prisma.mjs";
import { privateTree } from "./private-tree.mjs";
import { ensureRedis } from "./redis.mjs";
import { REPO_ROOT } from "./repo.mjs";
import { mustRun } from "./run.mjs";
import { startOwnS3 } from "./seaweedfs.mjs";
import { readOrCreateSecret } from "./secret.mjs";
import { onShutdown } from "./shutdown.mjs";
import { startProcess, stopLeftover } from "./supervisor.mjs";
import { CHROMIUM, isRoot, onPath, postgresBinDir, pythonCanMakeVenvs } from "./system.mjs";
import { startTestOidcProvider } from "./test-oidc-provider.mjs";
import { ensureUv, syncTrainerEnv, TRAINER_DIR, TRAINER_PYTHON } from "./uv.mjs";
import { waitFor } from "./wait.mjs";
import { NEXT_BIN, WEB_DIR } from "./web-build.mjs";

/** @typedef {import("./config.mjs").Config} Config */
/** @typedef {import("./config.mjs").Mode} Mode */

const SEED_CLI = join(REPO_ROOT, "packages/db/src/seed-cli.ts");

/**
 * Everything both commands need before any app runs: npm packages, validated configuration, Debian packages, uv and
 * the trainer's environment, PostgreSQL and Redis (own or given), the Prisma client. Servers it starts are stopped
 * by `shutdown()`. Returns the configuration and the environment every app process gets.
 * @param {Mode} mode
 * @returns {Promise<{ config: Config, env: NodeJS.ProcessEnv }>}
 */
export async function prepare(mode) {
  // Everything this run and its servers and apps write (databases, blobs, checkpoints, logs) is private data:
  // files 0600, directories 0700. Children inherit the mask.
  process.umask(0o077);
  // `npm start` honours a .env file; `npm test` does not, so tests never land on someone's own servers by accident.
  const dotenv = join(REPO_ROOT, ".env");
  if (mode === "start" && existsSync(dotenv)) process.loadEnvFile(dotenv);

  // Stamps live in the shared state directory, which is needed before zod (and so validation) is installed.
  const rawHome = process.env.DPSYNTH_HOME || ".dpsynth";
  const stamps = join(isAbsolute(rawHome) ? rawHome : resolve(REPO_ROOT, rawHome), "stamps");
  await ensureNodeModules(stamps);
  const { resolveConfig } = await import("./config.mjs");
  const config = resolveConfig(mode, process.env, REPO_ROOT);
  // Apps a killed run left behind hold the ports and serve the build about to be replaced.
  for (const name of APPS) await stopLeftover(runDir(config), name);

  await ensureDebianPackages([
    ...(config.databaseUrl ? [] : [{ pkg: "postgresql", installed: () => postgresBinDir() !== undefined }]),
    ...(config.redisUrl ? [] : [{ pkg: "redis-server", installed: () => onPath("redis-server") }]),
    ...(mode === "test" ? [{ pkg: "chromium", installed: () => existsSync(CHROMIUM) }] : []),
    { pkg: "python3-venv", installed: pythonCanMakeVenvs },
  ]);
  await syncTrainerEnv(await ensureUv(join(config.root, "tools")));

  const blobDir = config.blobStoreUrl.startsWith("file:") ? fileURLToPath(config.blobStoreUrl) : undefined;
  for (const dir of [config.home, config.modelCache, blobDir]) if (dir) mkdirSync(dir, { recursive: true });
  // Data an older run wrote before the umask (its blobs, Redis files, logs, the demo data, build stamps) is made
  // private too; PostgreSQL keeps its own directory's modes.
  const written = [
    blobDir,
    runDir(config),
    join(config.root, "stamps"),
    ...["redis", "data", "stamps"].map((name) => join(config.home, name)),
  ];
  for (const dir of written) if (dir) privateTree(dir);
  // As root, PostgreSQL runs as the postgres user, which must pass through the state directories to its own
  // (0700, its own) without being able to list them.
  if (isRoot() && !config.databaseUrl) for (const dir of [config.root, config.home]) chmodSync(dir, 0o711);
  const databaseUrl = config.databaseUrl ?? (await ownPostgres(config));
  const redisUrl = config.redisUrl ?? (await ownRedis(config));
  const s3Env = config.s3Port === undefined ? {} : await startOwnS3(config);

  /** @type {NodeJS.ProcessEnv} */
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    BLOB_STORE_URL: config.blobStoreUrl,
    ...s3Env,
    NEXTAUTH_URL: config.nextauthUrl,
    NEXTAUTH_SECRET: config.nextauthSecret ?? readOrCreateSecret(join(config.root, "secret")),
    DPSYNTH_HOME: config.home,
    DPSYNTH_MODEL_CACHE: config.modelCache,
    DPSYNTH_DEVICE: config.device,
    UV_PYTHON_DOWNLOADS: "never",
    ...(mode === "test" ? TEST_QUEUE_TIMINGS : {}),
  };
  await ensurePrismaClient(stamps, env);
  return { config, env };
}

/**
 * A trainer killed in a test is seen as gone within seconds rather than the default minute and a half, so the
 * fault tests can watch it resume; still long enough for a busy 2-core machine (its lock is renewed every 7 s).
 * Variables in the environment win.
 */
const TEST_QUEUE_TIMINGS = Object.fromEntries(
  Object.entries({ DPSYNTH_LOCK_DURATION_MS: "15000", DPSYNTH_STALLED_INTERVAL_MS: "3000" }).map(([name, value]) => [
    name,
    process.env[name] || value,
  ]),
);

/** @param {Config} config */
async function ownPostgres(config) {
  const options = ownServerOptions(config, { fresh: config.mode === "test" }).postgres;
  const server = await ensurePostgres(options);
  chmodSync(options.dir, 0o700); // initdb closes the data directory itself; this closes the log and the socket's

  onShutdown("PostgreSQL", server.stop);
  console.log(`PostgreSQL: 127.0.0.1:${config.ports.pg}, data in ${join(config.home, "pg")}`);
  return server.url;
}

/** @param {Config} config */
async function ownRedis(config) {
  const server = await ensureRedis(ownServerOptions(config, { fresh: config.mode === "test" }).redis);
  onShutdown("Redis", server.stop);
  console.log(`Redis: 127.0.0.1:${config.ports.redis}, data in ${join(config.home, "redis")}`);
  return server.url;
}

/**
 * Applies the migrations to the database in DATABASE_URL.
 * @param {NodeJS.ProcessEnv} env
 */
export async function migrate(env) {
  await mustRun("npm run db:migrate", "npm", ["run", "--silent", "db:migrate"], { cwd: REPO_ROOT, env });
}

/**
 * Seeds the admin, the demo owner and the demo dataset (idempotent); the seed writes $DPSYNTH_HOME/credentials.json.
 * @param {NodeJS.ProcessEnv} env
 */
export async function seed(env) {
  if (!existsSync(SEED_CLI)) {
    throw new Error(`cannot seed: ${SEED_CLI} does not exist yet (it seeds the admin, the demo owner and the demo
  dataset, and writes credentials.json)`);
  }
  await mustRun("npm run db:seed", "npm", ["run", "--silent", "db:seed"], { cwd: REPO_ROOT, env });
}

const SETTLE_MS = 5_000;

/** @param {Config} config where the app processes' pid files are */
const runDir = (config) => join(config.home, "run");

/** Names of the app processes, in start order. */
export const APPS = /** @type {const} */ (["web", "control", "trainer"]);

/**
 * Test mode only: starts the test OpenID provider (stopped by `shutdown()`) and returns the web app's environment
 * with its OIDC sign-in pointed at it. Any other mode gets `env` as it is.
 * @param {Config} config
 * @param {NodeJS.ProcessEnv} env
 */
async function withTestOidcProvider(config, env) {
  if (config.mode !== "test" || config.ports.oidc === undefined) return env;
  const provider = await startTestOidcProvider({ port: config.ports.oidc, webUrl: config.nextauthUrl });
  onShutdown("OpenID provider", provider.stop);
  console.log(`OpenID provider (test): ${provider.env.OIDC_ISSUER}`);
  return { ...env, ...provider.env };
}

/**
 * Starts the app processes (web only if `withWeb`: it needs a build), each stopped by `shutdown()`, and waits until
 * the web app answers HTTP. Returns the processes and whether the web app came up.
 * @param {Config} config
 * @param {NodeJS.ProcessEnv} givenEnv
 * @param {{ withWeb: boolean }} options
 */
export async function startApps(config, givenEnv, { withWeb }) {
  const env = await withTestOidcProvider(config, givenEnv);
  const width = Math.max(...APPS.map((name) => name.length));
  const commands = {
    web: { command: NEXT_BIN, args: ["start", "-H", config.webHost, "-p", String(config.ports.web)], cwd: WEB_DIR },
    control: { command: "npm", args: ["run", "start", "-w", "@dpsynth/control"], cwd: REPO_ROOT },
    trainer: { command: TRAINER_PYTHON, args: ["-m", "dpsynth_trainer", "worker"], cwd: TRAINER_DIR },
  };
  const processes = [];
  for (const name of APPS) {
    if (name === "web" && !withWeb) continue;
    // Restarted when they die, as compose's restart policy does: a killed trainer comes back and resumes its job.
    const app = await startProcess({ name, ...commands[name], env, runDir: runDir(config), width, restart: true });
    onShutdown(name, app.stop);
    processes.push(app);
  }
  const started = Date.now();
  const web = processes.find((app) => app.name === "web");
  const webUp =
    web !== undefined &&
    (await waitFor(async () => !web.running() || (await answersHttp(config.webHost, config.ports.web)), 60_000, 500)) &&
    web.running();
  // A process that cannot start (a missing module, a bad variable) dies within seconds: wait that long, so that
  // what the caller reports as running is running.
  await sleep(Math.max(0, SETTLE_MS - (Date.now() - started)));
  return { processes, webUp };
}

/**
 * @param {string} host what the web app binds; a wildcard is reached on the loopback address
 * @param {number} port
 */
async function answersHttp(host, port) {
  const reach = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  try {
    const url = `http://${reach.includes(":") ? `[${reach}]` : reach}:${port}/`;
    await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(5_000) });
    return true;
  } catch {
    return false;
  }
}
