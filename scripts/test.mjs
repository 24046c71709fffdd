// `npm test`: the same set-up as `npm start` on the test ports under .dpsynth/test/, every suite, then one line:
// `N passed, N failed[, N skipped]`. Exits non-zero on any failure. Everything it started is stopped at the end.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./lib/repo.mjs";
import { shutdown, stopOnSignals } from "./lib/shutdown.mjs";
import { migrate, prepare, seed, startApps } from "./lib/stack.mjs";
import { resultTable, single, summaryLine } from "./lib/suite-results.mjs";
import {
  biome,
  freshDir,
  pytest,
  ruffCheck,
  ruffFormat,
  typecheck,
  typescriptProjects,
  vitest,
  wholeCheck,
} from "./lib/suites.mjs";
import { ensureWebBuild } from "./lib/web-build.mjs";

const MINUTE = 60_000;

/** @type {import("./lib/suite-results.mjs").SuiteResult[]} */
const results = [];

/**
 * Runs one suite under a heading and records its counts; a suite that throws counts as one failure, with why.
 * @param {string} name
 * @param {() => Promise<import("./lib/suite-results.mjs").Counts | void>} body a step that returns nothing passes
 */
async function suite(name, body) {
  console.log(`\n━━ ${name} ━━`);
  const started = performance.now();
  let result;
  try {
    result = (await body()) ?? single(true);
  } catch (error) {
    result = single(false, error instanceof Error ? error.message.split("\n")[0] : String(error));
    console.error(`${name} crashed: ${error instanceof Error ? error.message : error}`);
  }
  const seconds = (performance.now() - started) / 1000;
  results.push({ name, ...result, seconds });
  console.log(`━━ ${name}: ${summaryLine([result])} (${seconds.toFixed(1)}s)`);
  return result;
}

/** Stops everything, prints the table and, as the very last line, the summary; exits non-zero on any failure. */
async function finish() {
  await shutdown();
  console.log(`\n${resultTable(results)}\n`);
  const line = summaryLine(results);
  console.log(line);
  process.exit(results.some((result) => result.failed > 0) ? 1 : 0);
}

stopOnSignals();

/** @type {Awaited<ReturnType<typeof prepare>> | undefined} */
let prepared;
await suite("set-up", async () => {
  prepared = await prepare("test");
});
if (!prepared) await finish();
const { config, env } = /** @type {NonNullable<typeof prepared>} */ (prepared);
const reports = freshDir(join(config.home, "reports"));
const stamps = join(config.root, "stamps");

await suite("migrate", () => migrate(env));
await suite("seed", () => seed(env));
await suite("biome check", biome);
await suite("ruff check", ruffCheck);
await suite("ruff format --check", ruffFormat);
for (const project of typescriptProjects()) await suite(`tsc ${project}`, () => typecheck(project));
await suite("vitest", () => vitest([], { env, reportFile: join(reports, "vitest.json"), timeoutMs: 10 * MINUTE }));
await suite("pytest", () => pytest({ env, reportFile: join(reports, "pytest.xml"), timeoutMs: 10 * MINUTE }));

const built = await suite("web build", () => ensureWebBuild(stamps, env, { timeoutMs: 10 * MINUTE }));
await suite("stack start", async () => {
  const { processes, webUp } = await startApps(config, env, { withWeb: built.failed === 0 });
  const dead = processes.filter((app) => !app.running()).map((app) => `${app.name} exited`);
  const notes = [...(webUp ? [] : ["the web app did not answer HTTP"]), ...dead];
  return single(notes.length === 0, notes.join("; ") || undefined);
});
const artifacts = join(REPO_ROOT, "apps/web/e2e/artifacts");
mkdirSync(artifacts, { recursive: true });
await suite("e2e", () =>
  vitest(["--config", "apps/web/e2e/vitest.config.ts"], {
    env: { ...env, E2E_BASE_URL: config.nextauthUrl, E2E_ARTIFACTS_DIR: artifacts },
    reportFile: join(reports, "e2e.json"),
    timeoutMs: 5 * MINUTE,
  }));
if (existsSync(join(REPO_ROOT, "scripts/bench.mjs"))) {
  await suite("bench --smoke", () =>
    wholeCheck("npm", ["run", "bench", "--", "--smoke"], { env, timeoutMs: 5 * MINUTE }));
}
await finish();
